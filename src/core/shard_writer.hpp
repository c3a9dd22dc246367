// emma-model shard: a whole bundle split into a head and shards (src/core/shards.hpp), for
// catalogs too large to send whole to every shopper.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "bundle.hpp"

namespace emma {

struct ShardOptions {
  // Items a shard holds as its own (about). A shard also carries its items' neighbours'
  // records, so that a product page needs one request: small shards keep that request small
  // (about 5 KB brotli at 16 on the synthetic shops of `npm run bench`).
  std::uint32_t shard_items = 16;
  std::uint32_t head_items = 500;        // the most popular of each popularity window go to the head
  std::uint32_t head_per_category = 12;  // and each leaf category's most popular (a category page's slot)
};

struct ShardedBundle {
  std::vector<std::uint8_t> head;
  std::vector<std::pair<std::string, std::vector<std::uint8_t>>> shards;  // file name, bytes
  std::size_t head_items = 0;
};

// One piece of a sharded catalog (a head, a shard, or the items remembered with a profile:
// bundle_set.hpp): `items` of `whole`, in their order there (ascending); `owned` ones (indexed as `whole`)
// carry their neighbour lists, which must be among `items`. The GIDX section gives each item's
// place in the whole catalog: its index in `whole`, or `(*gidx)[index]` when `whole` is itself
// a view of pieces.
std::vector<std::uint8_t> write_piece(const Bundle& whole, const std::vector<std::uint32_t>& items,
                                      const std::vector<std::uint8_t>& owned, const json& meta,
                                      const std::vector<std::uint32_t>* gidx = nullptr);

// `stem`: the shard files are named <stem>.<index>.<16 hex of their checksum>.bundle.
ShardedBundle split_bundle(const Bundle& whole, const std::string& stem, const ShardOptions& options);

}  // namespace emma
