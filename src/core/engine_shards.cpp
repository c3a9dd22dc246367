// The engine's operations for a sharded catalog (docs/catalog-size.md): which shards a page's
// request names, taking one in, and saying when an answer lacks data it would have used.
#include <algorithm>

#include "engine.hpp"
#include "error.hpp"
#include "json_build.hpp"
#include "shards.hpp"

namespace emma {
namespace {

// A variant id's product, so that its shard is fetched too (shards_for_page).
std::function<std::string_view(const std::string&)> products(const BundleSet& set) {
  return [&set](const std::string& id) { return set.fetched_product(id); };
}

}  // namespace

json Engine::shard_op(const std::string& op, const Fields& f, const std::uint8_t* bytes, std::size_t size) {
  if (!bundles_.loaded()) throw Error(code::no_bundle, "no bundle is loaded; load the bundle before its shards");
  if (op == "shard.load") {
    const std::string name = f.str("name", 200);
    const auto index = bundles_.add_shard(name, bytes, size, ++shard_tick_);  // (the order of use, not a time)
    return Obj()("shard", index)("items", bundles_.view().catalog.size());
  }
  // shards.needed: those a page's request names that this session has not fetched (shards.hpp:
  // from the request's page fields only; a remembered shard does not spare the fetch).
  const json* raw = f.opt_object("request");
  const RecommendRequest req = parse_recommend_request(raw ? *raw : json::object());
  json fetch = json::array();
  for (auto s : shards_for_page(bundles_.manifest(), req, products(bundles_))) {
    if (!bundles_.has_shard(s)) fetch.push_back(shard_file(bundles_.manifest(), s));
  }
  return Obj()("fetch", std::move(fetch));
}

void Engine::mark_partial(json& answer, const RecommendRequest& req, const Profile* profile) const {
  // A page's item whose shard did not load (and is not remembered), or the shopper's items' lists.
  bool partial = false;
  const auto page = shards_for_page(bundles_.manifest(), req, products(bundles_));
  auto missing = [&](const std::string& id) {
    const auto s = shard_of(id, bundles_.manifest().count);
    // An id whose own shard loaded yet is not complete is unknown (not partial), unless it is a
    // variant whose product's shard did not load.
    return std::find(page.begin(), page.end(), s) != page.end() && !bundles_.complete(id) &&
           (!bundles_.has_shard(s) || !bundles_.fetched_product(id).empty());
  };
  if (req.item) partial |= missing(*req.item);
  for (const auto& id : req.items) partial |= missing(id);
  if (profile) {
    for (const auto& [id, signal] : profile->items()) partial |= !bundles_.complete(id);
    // The lowest tier (scores below 1: category interest and popularity) ranks the loaded items
    // only. The head holds each category's best, which is the whole bundle's answer, unless the
    // request leaves out what the shopper bought: then an item of that tier may stand in for
    // one that no loaded piece holds (discover of a shopper who bought a category's best).
    if ((req.scenario == "discover" || req.rules.exclude_purchased) && (!profile->purchases().empty() || !profile->folded_baskets().empty())) {
      for (const auto& it : answer["items"]) partial |= it.value("score", 1.0) < 1;
    }
  }
  answer["partial"] = partial;
}

void Engine::remember(const std::vector<Event>& events, json& frame) {
  json added = json::array();
  for (const auto& e : events) bundles_.remember(e.item, e.at, added);
  if (bundles_.memo_additions() > kMaxMemoAdditions) {
    compact_memo();
    sealed_.clear();  // the next seal is a whole snapshot, with the one piece
  } else if (!added.empty()) {
    frame.push_back(json::array());  // (the recommended items' place)
    frame.push_back(std::move(added));
  }
}

// Only what the profile still holds: an item it forgot, or let go of (its bounded maps, its
// retention), is not kept for it in the sealed record either.
void Engine::compact_memo() {
  std::vector<std::string_view> held;
  for (const auto& [id, signal] : profile_.items()) held.push_back(id);
  for (const auto& [id, at] : profile_.recent()) held.push_back(id);
  for (const auto& p : profile_.purchases()) held.push_back(p.item);
  for (const auto& [id, baskets] : profile_.folded_baskets()) held.push_back(id);
  for (const auto& id : profile_.cart()) held.push_back(id);
  bundles_.compact_memo(held);
}

}  // namespace emma
