// The body of the catalog importers' fuzz targets: bytes after the first go to the importer in
// one of two formats (the first byte's low bit picks), and every catalog it accepts must also
// go through the bundle writer and reader: an item the importer lets through that the bundle
// cannot hold (bad UTF-8, an over-long field) is a bug.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

#include "catalog_import.hpp"
#include "core/bundle.hpp"
#include "core/error.hpp"

inline int fuzz_catalog_round_trip(const std::uint8_t* data, std::size_t size, emma_tools::CatalogFormat odd,
                                   emma_tools::CatalogFormat even) {
  if (size == 0) return 0;
  const std::string bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  try {
    emma_tools::BadRows bad;
    const auto cat = emma_tools::import_catalog_bytes(bytes, "fuzz", data[0] & 1 ? odd : even, bad);
    emma::ModelInput model;
    model.windows.push_back({"catalog", 0});
    model.popularity.emplace_back(cat.items.size(), 0.f);
    const auto b = emma::read_bundle(emma::write_bundle(cat.items, model, emma::json::object()));
    for (const auto& it : b->catalog.items()) b->catalog.item_json(it).dump();
  } catch (const emma::Error&) {
  }
  return 0;
}
