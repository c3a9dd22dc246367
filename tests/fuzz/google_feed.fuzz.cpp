// libFuzzer target for the Google Merchant feed importer (src/tools/google_feed.cpp): XML
// (RSS/Atom through expat) and TSV, chosen by the first byte. Every accepted catalog must
// also go through the bundle writer and reader: an item the importer lets through that the
// bundle cannot hold (bad UTF-8, an over-long field) is a bug.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/bundle.hpp"
#include "core/error.hpp"
#include "catalog_import.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  const auto format = data[0] & 1 ? emma_tools::CatalogFormat::google_xml : emma_tools::CatalogFormat::google_tsv;
  try {
    emma_tools::BadRows bad;
    const auto cat = emma_tools::import_catalog_bytes(bytes, "fuzz", format, bad);
    emma::ModelInput model;
    model.windows.push_back({"catalog", 0});
    model.popularity.emplace_back(cat.items.size(), 0.f);
    const auto b = emma::read_bundle(emma::write_bundle(cat.items, model, emma::json::object()));
    for (const auto& it : b->catalog.items()) b->catalog.item_json(it).dump();
  } catch (const emma::Error&) {
  }
  return 0;
}
