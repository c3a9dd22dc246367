// libFuzzer target for the shop-system product exports (src/tools/shopify_products.cpp,
// src/tools/woocommerce_products.cpp), then the bundle round trip (catalog_round_trip.hpp).
#include "catalog_round_trip.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return fuzz_catalog_round_trip(data, size, emma_tools::CatalogFormat::shopify, emma_tools::CatalogFormat::woocommerce);
}
