// emma-model shard: a whole bundle split into a head and shards (src/core/shards.hpp), for
// catalogs too large to send whole to every shopper.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "bundle.hpp"

namespace emma {

struct ShardOptions {
  std::uint32_t shard_items = 256;     // items a shard holds as its own (about)
  std::uint32_t head_items = 2000;     // the most popular of each window go to the head
  std::uint32_t head_per_category = 24;  // and each leaf category's most popular
};

struct ShardedBundle {
  std::vector<std::uint8_t> head;
  std::vector<std::pair<std::string, std::vector<std::uint8_t>>> shards;  // file name, bytes
  std::size_t head_items = 0;
};

// `stem`: the shard files are named <stem>.<index>.<16 hex of their checksum>.bundle.
ShardedBundle split_bundle(const Bundle& whole, const std::string& stem, const ShardOptions& options);

}  // namespace emma
