// Catalogs of any size (docs/catalog-size.md): a large catalog is published as a head, the
// same file for every shopper (popular items, each category's best, the category tree, the
// offers), and shards holding every item with its neighbour lists, fetched when a page
// shows one of their items. The head's META names the shards ("shards": manifest).
//
// The rule that keeps the fetching from telling the shop anything: which shards a request
// fetches depends only on what the page itself states in that request (the item it shows,
// the list or cart it passes), never on the stored profile. `shards_for_page` is that rule,
// and the only place the engine decides a fetch. Scenarios that would need a shard chosen by
// the profile answer from what is loaded (the head, the shards the pages fetched, and the
// profile's own items remembered with it: bundle_set.hpp) and say so (`partial`).
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "json_input.hpp"
#include "recommend.hpp"

namespace emma {

// Which shard holds an item: FNV-1a (32 bits) of its id, modulo the shard count. The writer
// (emma-model shard) and the engine use this one function.
std::uint32_t shard_of(std::string_view id, std::uint32_t count);

struct ShardManifest {
  std::uint32_t count = 0;  // 0: the bundle is whole (no shards)
  std::string build;        // 16 hex: names this build's shards, which say it in their META
  std::string stem;         // the shard files are <stem>.<build>.<index>.bundle, next to the head
  std::uint64_t items = 0;  // the whole catalog
};

// From the head's META ("shards"); a bundle without it is whole. BAD_BUNDLE when malformed.
ShardManifest read_manifest(const json& meta);
std::string shard_file(const ShardManifest& manifest, std::uint32_t index);

// At most this many shards for one request (a listing of 100 items fetches no more).
inline constexpr std::size_t kMaxShardsPerRequest = 8;

// The shards a request's page fields name: its item's, then its items' in page order; each
// once; at most kMaxShardsPerRequest. Not a function of the profile: it takes none.
// `product_of` (BundleSet::fetched_product): a variant id's product, as the head and the shards
// this session fetched say (a variant's shard redirects to its product's: shard_writer.cpp);
// that product's shard follows the variant's.
std::vector<std::uint32_t> shards_for_page(const ShardManifest& manifest, const RecommendRequest& request,
                                           const std::function<std::string_view(const std::string&)>& product_of = {});

}  // namespace emma
