// BundleSet and the shard operations for an engine built without sharded catalogs: emma.js's
// (the embed script for a whole bundle). Linked instead of bundle_set.cpp and engine_shards.cpp
// (which the linker then leaves in the library), because merging a head, shards and
// remembered items costs a shop page 16 KB brotli; shops with a sharded catalog include
// emma-shards.js, whose engine has them (docs/catalog-size.md "The embed script"). A sharded
// head is refused with UNSUPPORTED saying so; a whole bundle works as ever.
#include "bundle_set.hpp"

#include "engine.hpp"
#include "error.hpp"

namespace emma {

void BundleSet::load(std::unique_ptr<Bundle> head) {
  if (head->meta.contains("shards")) {
    throw Error(code::unsupported, "this bundle is the head of a sharded catalog, which the embed script's engine does not read; "
                                   "publish the whole bundle for the embed script, or use emma-shards.js (docs/catalog-size.md)");
  }
  head_.b = std::move(head);
}

bool BundleSet::complete(const std::string&) const { return true; }
void BundleSet::remember(const std::string&, std::int64_t, json&) {}
json BundleSet::memo() const { return nullptr; }
void BundleSet::set_memo(const json&, const std::vector<std::string>&) {}
void BundleSet::opened(bool) {}
const Bundle& BundleSet::plain_view() const { return view(); }

json Engine::shard_op(const std::string& op, const Fields&, const std::uint8_t*, std::size_t) {
  throw Error(code::unsupported, op + ": this engine (the embed script's) does not read shards");
}

void Engine::mark_partial(json&, const RecommendRequest&, const Profile*) const {}
void Engine::compact_memo() {}
void Engine::remember(const std::vector<Event>&, json&) {}

}  // namespace emma
