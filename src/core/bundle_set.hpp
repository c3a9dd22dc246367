// What the engine sees of a sharded catalog (shards.hpp): the head, the shards the pages
// fetched (at most kMaxLoadedShards, least recently used dropped first, so memory is bounded by
// the head plus the shards in use, not by the catalog), and the shards of the shopper's own
// items, remembered with the profile; merged into one Bundle view for the scenarios, which
// need not know about shards.
//
// Remembered shards: when the shopper views, carts or buys an item, the shard holding it (the
// page fetched it) is kept and sealed with the profile (only with consent: it travels with
// the profile), so that the home page answers from the profile's own items without a request
// chosen by the profile. It is shop data, not the shopper's: a new build of the catalog
// (another head) drops it, and the pages fetch the new build's shards again.
//
// Shards and heads are ordinary bundles; a GIDX section gives each item its place in the
// whole catalog (so ties rank as in the whole bundle) and whether its lists are complete here
// ("owned": its own shard) or it only appears as a neighbour.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "bundle.hpp"
#include "shards.hpp"

namespace emma {

inline constexpr std::size_t kMaxLoadedShards = 16;
inline constexpr std::size_t kMaxRememberedShards = 24;

class BundleSet {
 public:
  // A new head (or a whole bundle): loaded shards go; remembered ones of another build go.
  void load(std::unique_ptr<Bundle> head);
  bool loaded() const { return head_.b != nullptr; }
  const ShardManifest& manifest() const { return manifest_; }
  // A shard fetched by this session's pages; `or_remembered`: or sealed with the profile (which
  // must not spare a fetch: the requests would then depend on the profile).
  bool has_shard(std::uint32_t index, bool or_remembered = false) const;
  // `name` must be one of this head's shard files; BAD_BUNDLE naming it otherwise, the set unchanged.
  std::uint32_t add_shard(const std::string& name, const std::uint8_t* data, std::size_t size, std::int64_t at);
  const Bundle& view() const { return merged_ ? *merged_ : *head_.b; }
  // Whether the view has the item with its complete neighbour lists (always, for a whole bundle).
  bool complete(const std::string& id) const;
  // The product a variant id names, as the head or a shard this session fetched says (never a
  // remembered one: which shards a page fetches must not depend on the profile); empty if none.
  std::string_view fetched_product(const std::string& id) const;

  // Keeps the shard of the item, when loaded. True when what is remembered changed.
  bool remember(const std::string& id, std::int64_t at);
  // For the sealed profile: [[time, base64 of the shard], ...]; null when nothing is remembered.
  json memo() const;
  // From a sealed profile; shards of another build, or damaged, are left out.
  void set_memo(const json& memo);

 private:
  struct Piece {
    std::shared_ptr<const Bundle> b;
    std::vector<std::uint32_t> gidx;
    std::vector<std::uint8_t> owned;
    std::uint32_t shard = 0;
    std::int64_t at = 0;  // last used
  };
  static Piece piece(std::shared_ptr<const Bundle> b);
  Piece verified(std::shared_ptr<const Bundle> b, std::uint32_t index) const;
  void rebuild();

  Piece head_;
  ShardManifest manifest_;
  std::vector<Piece> shards_, memo_;
  std::unique_ptr<Bundle> merged_;
  std::vector<std::uint8_t> merged_owned_;
};

}  // namespace emma
