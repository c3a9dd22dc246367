// libFuzzer target for the Google Merchant feed importer (src/tools/google_feed.cpp): XML
// (RSS/Atom through expat) or TSV, then the bundle round trip (catalog_round_trip.hpp).
#include "catalog_round_trip.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return fuzz_catalog_round_trip(data, size, emma_tools::CatalogFormat::google_xml, emma_tools::CatalogFormat::google_tsv);
}
