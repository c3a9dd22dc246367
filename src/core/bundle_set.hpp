// What the engine sees of a sharded catalog (shards.hpp): the head, the shards the pages
// fetched (at most kMaxLoadedShards, least recently used dropped first, so memory is bounded by
// the head plus the shards in use, not by the catalog), and the shopper's own items,
// remembered with the profile; merged into one Bundle view for the scenarios, which need not
// know about shards.
//
// Remembered items: when the shopper views, carts or buys an item (the page fetched its shard),
// the item's record and neighbour lists and its neighbours' records are kept in one piece
// sealed with the profile (only with consent: it travels with the profile), so that the home
// page answers from the profile's own items without a request chosen by the profile, as the
// whole bundle would (what for_you and reorder read of the catalog beyond the head is exactly
// that). Per item, not per shard: a history spread over many shards costs its own items, not
// their shards. It is shop data, not the shopper's: a new build of the catalog (another head)
// drops it, and the pages fetch the new build's shards again.
//
// Shards and heads are ordinary bundles; a GIDX section gives each item its place in the
// whole catalog (so ties rank as in the whole bundle) and whether its lists are complete here
// ("owned": its own shard) or it only appears as a neighbour.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "bundle.hpp"
#include "shards.hpp"

namespace emma {

inline constexpr std::size_t kMaxLoadedShards = 16;
// As many as a profile keeps (ProfileConfig::max_items), least recently used dropped first.
inline constexpr std::size_t kMaxRememberedItems = 2000;
// Remembered pieces between two compactions (each its own piece in the view: with 16 shards, the
// head and the compacted piece, well below the view's 64).
inline constexpr std::size_t kMaxMemoAdditions = 32;

class BundleSet {
 public:
  // A new head (or a whole bundle): loaded shards go; remembered ones of another build go.
  void load(std::unique_ptr<Bundle> head);
  bool loaded() const { return head_.b != nullptr; }
  const ShardManifest& manifest() const { return manifest_; }
  // A shard fetched by this session's pages (what is remembered with the profile must not spare
  // a fetch: the requests would then depend on the profile).
  bool has_shard(std::uint32_t index) const;
  // `name` must be one of this head's shard files; BAD_BUNDLE naming it otherwise, the set unchanged.
  std::uint32_t add_shard(const std::string& name, const std::uint8_t* data, std::size_t size, std::int64_t at);
  const Bundle& view() const { return merged_ ? *merged_ : *head_.b; }
  // The view without the remembered items: what a newcomer on the same pages has. For answers
  // that use no profile (profiling objected to, the experiment's control arm), which must not
  // follow the shopper's history through the items it remembered.
  const Bundle& plain_view() const;
  // Whether the view has the item with its complete neighbour lists (always, for a whole bundle).
  bool complete(const std::string& id) const;
  // The product a variant id names, as the head or a shard this session fetched says (never a
  // remembered one: which shards a page fetches must not depend on the profile); empty if none.
  std::string_view fetched_product(const std::string& id) const;

  // Keeps the item's data, when its lists are in the view (its page fetched its shard), as a
  // small piece of its own: the item, its lists and its neighbours' records, added to `added`
  // as {"at": [at], "bundle": base64} for the profile's next frame (so a newly remembered item
  // seals a few KB, not every remembered item again). An item already remembered only gets its
  // last use updated.
  void remember(const std::string& id, std::int64_t at, json& added);
  // Pieces remembered since the last compaction (the record's frames carry them).
  std::size_t memo_additions() const { return memo_adds_.size(); }
  // Folds every remembered piece into one, keeping only the items `keep` names (the items the
  // profile still holds: what it forgot or let go of is not kept for it), at most
  // kMaxRememberedItems, the least recently used dropped first. Before a snapshot is sealed.
  void compact_memo(const std::vector<std::string_view>& keep);
  // For the sealed snapshot, after compact_memo: {"at": [last use of each remembered item, in
  // the piece's order], "bundle": base64 of the piece}; null when nothing is remembered.
  json memo() const;
  // From a sealed profile: its snapshot's piece, then the pieces its later frames added (the
  // record's frames as opened; frame 0 is the snapshot). A piece of another build, damaged, or
  // of an older engine (whole shards) is left out: the pages fetch anew.
  void set_memo(const json& memo, const std::vector<std::string>& frames = {});
  // The end of the record's replay after set_memo with frames: kept (ok), or back to the
  // remembered items before it (a record that failed to open leaves the session as it was).
  void opened(bool ok);

 private:
  struct Piece {
    std::shared_ptr<const Bundle> b;
    std::vector<std::uint32_t> gidx;
    std::vector<std::uint8_t> owned;
    std::uint32_t shard = 0;
    std::int64_t at = 0;  // last used
    bool in_view = false;  // the view was built with it (and points into it)
  };
  static Piece piece(std::shared_ptr<const Bundle> b);
  Piece verified(std::shared_ptr<const Bundle> b, std::uint32_t index) const;
  void rebuild();
  // The merged view of the head, the shards and (with_memo) the remembered pieces; each view
  // item's owned flag and whole-catalog index when asked for.
  std::unique_ptr<Bundle> merge(bool with_memo, std::vector<std::uint8_t>* owned, std::vector<std::uint32_t>* gidx) const;
  // The piece of a sealed {"at", "bundle"}; its owned items' last use in `at`. Null b if unusable.
  Piece memo_piece(const json& memo, std::vector<std::int64_t>& at) const;
  bool remembered(const std::string& id, std::int64_t at);
  json piece_meta() const;

  Piece head_;
  ShardManifest manifest_;
  std::vector<Piece> shards_;
  Piece memo_;  // the remembered items (owned) and their neighbours; b null when none
  std::vector<std::int64_t> memo_at_;  // per item of memo_: when last used (owned ones)
  std::vector<Piece> memo_adds_;  // remembered since the last compaction: one owned item each, `at` its last use
  // Pieces replaced since the view was built, which it still points into (the view has the same
  // items: a remembered item was in it), kept until the next rebuild. (Plain members of types
  // the embed's engine already has: this header is compiled into it.)
  std::vector<Piece> retired_;
  std::unique_ptr<Bundle> merged_;
  std::vector<std::uint8_t> merged_owned_;
  std::vector<std::uint32_t> merged_gidx_;
  bool view_has_memo_ = false;
  mutable std::unique_ptr<Bundle> plain_;  // plain_view(), made when first asked for after a rebuild
  struct Memo {
    Piece piece;
    std::vector<std::int64_t> at;
    std::vector<Piece> adds;
  } before_open_;  // set_memo's predecessor while a record opens, for opened(false)
};

}  // namespace emma
