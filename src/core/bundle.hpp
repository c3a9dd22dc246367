// The bundle: the one static file a shop publishes. A small binary container so that a
// wrong file (an HTML 404 page, a truncated download, a newer format) is refused with a
// clear error before anything is parsed.
//
// Layout (little-endian):
//   0  8  magic "EMMABNDL"
//   8  2  format version (1)
//  10  2  flags (0; reserved)
//  12  4  section count
//  16 16  BLAKE2b-128 of every byte after offset 32 (corruption check, not a signature)
//  32 ..  sections: 4-byte tag, u32 length, payload
// Sections of version 1:
//   "CATJ"  the catalog as UTF-8 JSON ({"items":[...]}, see Catalog::from_json)
// Unknown section tags are skipped, so later writers can add sections older engines ignore.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "catalog.hpp"

namespace emma {

inline constexpr std::uint16_t kBundleVersion = 1;

struct BundleSection {
  std::string tag;  // exactly 4 ASCII characters
  std::string payload;
};

std::vector<std::uint8_t> write_bundle(const std::vector<BundleSection>& sections);

// Checks magic, version and checksum and returns the sections. Throws BAD_BUNDLE (or
// UNSUPPORTED for a newer version) with the byte offset of the problem.
std::vector<BundleSection> read_bundle_sections(const std::uint8_t* data, std::size_t size);

// Reads a whole bundle into a catalog.
Catalog read_bundle(const std::uint8_t* data, std::size_t size);

}  // namespace emma
