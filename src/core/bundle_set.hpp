// What the engine sees of a sharded catalog (shards.hpp): the head, the shards the pages
// fetched (at most kMaxLoadedShards, least recently used dropped first, so memory is bounded by
// the head plus the shards in use, not by the catalog), and the shopper's remembered items,
// merged into one Bundle view for the scenarios, which need not know about shards.
//
// Remembered items: when the shopper views, carts or buys an item whose shard is loaded, the
// item's record and neighbour lists (and its neighbours' records) are kept and sealed with
// the profile (only with consent: they travel with it), so that the home page answers from
// the profile's own items without a request chosen by the profile. They are shop data, not
// the shopper's: a new build of the catalog (another head) drops them.
//
// Shards and heads are ordinary bundles; a GIDX section gives each item its position in the
// whole catalog (so ties rank as in the whole bundle) and whether its lists are complete
// here ("owned": its own shard, or a remembered item) or it only appears as a neighbour.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "bundle.hpp"
#include "shards.hpp"

namespace emma {

inline constexpr std::size_t kMaxLoadedShards = 16;
inline constexpr std::size_t kMaxRememberedItems = 48;

class BundleSet {
 public:
  // A new head (or a whole bundle): the shards go, remembered items of another head go.
  void load(std::unique_ptr<Bundle> head);
  bool loaded() const { return head_piece_.b != nullptr; }
  const ShardManifest& manifest() const { return manifest_; }
  bool has_shard(std::uint32_t index) const;
  // `name` must be the manifest's; BAD_BUNDLE (naming it) for anything else, the set unchanged.
  std::uint32_t add_shard(const std::string& name, const std::uint8_t* data, std::size_t size, std::uint64_t tick);
  const Bundle& view() const { return merged_ ? *merged_ : *head_piece_.b; }

  // The item's record and lists, kept when they are in the view with complete lists. True when
  // what is remembered changed.
  bool remember(const std::string& id, std::int64_t at);
  // For the sealed profile: {"head", "owned", "records"}; null when nothing is remembered.
  json memo() const;
  // From a sealed profile; entries of another head, or malformed, are left out.
  void set_memo(const json& memo);
  void forget_memo();
  std::size_t remembered() const { return memo_owned_.size(); }
  // Whether the view has the item with its complete neighbour lists (always, for a whole bundle).
  bool complete(const std::string& id) const;

 private:
  void rebuild();
  struct Piece {
    std::unique_ptr<Bundle> b;
    std::vector<std::uint32_t> gidx;
    std::vector<std::uint8_t> owned;
    std::uint32_t shard = 0;
    std::uint64_t used = 0;
  };
  static Piece piece(std::unique_ptr<Bundle> b);
  Piece head_piece_;
  std::string head_id_;
  ShardManifest manifest_;
  std::vector<Piece> shards_;
  json memo_owned_ = json::object();    // id -> {"at", "n": [[id, score]...], "m": [...]}
  json memo_records_ = json::object();  // id -> record
  std::unique_ptr<Bundle> merged_;
  std::vector<std::uint32_t> merged_gidx_;  // per item of the merged view
  std::vector<std::uint8_t> merged_owned_;
};

}  // namespace emma
