// The bundle: the one static file a shop publishes. A binary container so that a wrong file
// (an HTML 404 page, a truncated download, a newer format) is refused with a clear error
// before anything is parsed, and so that a 100k-item catalog loads without a JSON parse.
//
// Container (little-endian):
//   0  8  magic "EMMABNDL"
//   8  2  format version (3; older versions are refused with UNSUPPORTED, "rebuild with emma-model")
//  10  2  flags (reserved: must be 0, so a writer that needs flags must raise the version)
//  12  4  section count
//  16 16  BLAKE2b-128 of every byte after offset 32 (corruption check, not a signature)
// The header is outside the checksum, so each of its fields is checked instead: a damaged byte
// anywhere in the file is refused (tests/core/bundle.tests.cpp flips each one).
//  32 ..  sections: 4-byte tag, u32 length, payload
// Unknown section tags are skipped, so later writers can add sections older engines ignore.
//
// Sections of version 3 (issue #11: compact, so that brotli has little left to do). Counts
// are u32; "v" is a LEB128 varint (u32); "s" a zigzag varint delta; "str" an index into STRS;
// a "column" holds one field for every item in item order (similar values sit together). A
// number column is a u8 mode and one v per item: mode 0 whole numbers (counts, exact), mode 1
// quantised codes: a float's top 20 bits (bits + 0x400 >> 11: 12 mantissa bits, relative
// error < 1.3e-4, 0 and powers of two exact, order kept). Every section must be used up exactly.
//   META  JSON object: how the bundle was built (tool, k threshold, windows, counts)
//   STRS  string table: count n; n v lengths; the UTF-8 blob. Index 0 is "". Strings are
//         stored column by column (all ids, all titles, urls, images, brands, currencies,
//         attributes, then categories, tags, window names), each once.
//   CATS  count; per category: v path str, v name str, v parent + 1 (0: none; parents first)
//   TAGS  count; per tag: s str (delta from the previous tag's)
//   ITEM  count n; columns of s string deltas (from the previous item's; the first from 0) for
//         id, title, url, image, brand, currency, attributes (JSON object or ""); a column of
//         v leaf category + 1 (0: none); a column of v tag counts (each item's tags follow the
//         previous item's in TAGS); a column of u8 flags (1: in stock); then prices: u8 mode 0
//         and a column of v cents + 1 (0: unknown; k / 100.0 is the double "12.34" parses to),
//         or mode 1 (some price is not whole cents) and a column of f64 (negative: unknown)
//   POPW  window count w; per window: v name str, v days; then w number columns
//   NBRS  item count n; a column of v list lengths; then every list's items as s deltas (the
//         first from the item itself, then from the previous neighbour), best first; then every
//         score as s deltas of quantised codes (from the previous score; the first from 1.0's)
//   RPCH  item count; number column of median days between repurchases; number column of rebuy share
//   SIMS  content neighbours, coded against what ITEM holds (version 3; version 2 stored them as
//         NBRS does): count n; a column of v list lengths; v bit bytes; v code bytes; the bits
//         (LSB first), per item: one for each earlier item whose list names it (latest first),
//         set when this item lists that one back with the same score (cosine is symmetric);
//         then one for each other neighbour in item order: 0 a position among the items of the
//         anchor's leaf category (0: no category) in item order, 1 an item index; the codes:
//         those neighbours as s deltas (each kind from the anchor's own, then from the previous
//         one of its kind); then their scores, a u8 in 1/255 each (content_similarity.hpp).
//         Lists are read in item order (used as a set: similar.cpp, recommend.cpp)
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

inline constexpr std::uint16_t kBundleVersion = 3;

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
