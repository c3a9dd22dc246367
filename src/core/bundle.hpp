// The bundle: the one static file a shop publishes. A binary container so that a wrong file
// (an HTML 404 page, a truncated download, a newer format) is refused with a clear error
// before anything is parsed, and so that a 100k-item catalog loads without a JSON parse.
//
// Container (little-endian):
//   0  8  magic "EMMABNDL"
//   8  2  format version (1)
//  10  2  flags (reserved: must be 0, so a writer that needs flags must raise the version)
//  12  4  section count
//  16 16  BLAKE2b-128 of every byte after offset 32 (corruption check, not a signature)
// The header is outside the checksum, so each of its fields is checked instead: a damaged byte
// anywhere in the file is refused (tests/core/bundle.tests.cpp flips each one).
//  32 ..  sections: 4-byte tag, u32 length, payload
// Unknown section tags are skipped, so later writers can add sections older engines ignore.
//
// Sections of version 1 (all integers u32 unless noted; "str" is an index into STRS):
//   META  JSON object: how the bundle was built (tool, k threshold, windows, counts)
//   STRS  string table: count n; n+1 offsets into the blob; the UTF-8 blob. Index 0 is "".
//   CATS  count; per category: path str, name str, parent (0xFFFFFFFF: none; parents first)
//   TAGS  count; tag strs
//   ITEM  count; per item: id, title, url, image, brand, currency, attributes (JSON object or
//         ""), category (leaf; 0xFFFFFFFF none), tag begin, u16 tag count, u8 flags (1: in
//         stock), u8 reserved, f64 price (negative: unknown)
//   POPW  window count w; per window: name str, days; then w x item-count f32
//   NBRS  item count; item-count+1 offsets; then per neighbour: item, f32 score
//   RPCH  item count; per item: f32 median days between repurchases, f32 rebuy share
//   SIMS  item count; item-count+1 offsets; then per content neighbour: item, u8 score x 255
//         (content_similarity.hpp; 5 bytes a neighbour, so 8 per item cost 44 bytes)
//   OFFR  JSON array: the shop's current offers (src/core/offers.hpp), written by emma-model --offers
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "catalog.hpp"
#include "model.hpp"

namespace emma {

inline constexpr std::uint16_t kBundleVersion = 1;

struct BundleSection {
  std::string tag;  // exactly 4 ASCII characters
  std::string_view payload;
};

// The container alone (tests and tools use it to craft or inspect bundles).
std::vector<std::uint8_t> write_container(const std::vector<std::pair<std::string, std::string>>& sections);
// Checks magic, version and checksum; sections point into `data`. Throws BAD_BUNDLE (or
// UNSUPPORTED for a newer version) with the byte offset of the problem.
std::vector<BundleSection> read_container(const std::uint8_t* data, std::size_t size);

struct ModelInput {
  std::vector<PopularityWindow> windows;
  std::vector<std::vector<float>> popularity;            // [window][item]
  std::vector<std::vector<Neighbour>> neighbours;        // per item, best first
  std::vector<float> rebuy_days, rebuy_share;            // empty: none
  std::vector<std::vector<Neighbour>> similar;           // content neighbours per item; empty: none
};

// `extra`: more sections after the standard ones (the shard writer's GIDX, shards.hpp).
std::vector<std::uint8_t> write_bundle(const std::vector<ItemInput>& items, const ModelInput& model,
                                       const json& meta,
                                       const std::vector<std::pair<std::string, std::string>>& extra = {});

// A loaded bundle. It owns the bytes the catalog's string views point into.
struct Bundle {
  std::vector<std::uint8_t> bytes;
  Catalog catalog;
  Model model;
  json meta;
  json offers = json::array();  // OFFR
  std::vector<BundleSection> sections;  // every section as read (views into `bytes`)
  // A section's payload; empty when the bundle has none.
  std::string_view section(const char* tag) const {
    for (const auto& s : sections) {
      if (s.tag == tag) return s.payload;
    }
    return {};
  }
};

std::unique_ptr<Bundle> read_bundle(std::vector<std::uint8_t> bytes);

// A plain catalog object ({"items":[...]}, what a page may pass instead of a bundle file):
// validated, written as a bundle and read back, so there is one representation. The feed's
// `popularity` figures become the "catalog" popularity window.
std::unique_ptr<Bundle> bundle_from_catalog_json(const json& doc);

}  // namespace emma
