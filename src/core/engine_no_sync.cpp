// The sync.* operations for an engine built without sync: the embed script's, which has no
// way to configure a sync endpoint (docs/benchmarks.md "Sizes": the merge and pairing code would cost the
// shop page about 3 KB brotli for nothing). Linked instead of engine_sync.cpp; every sync
// operation answers UNSUPPORTED, nothing is kept for a merge, and a profile sealed with sync
// on by the npm package still opens (its sync state is kept as it was, and ended as usual).
#include "engine.hpp"
#include "error.hpp"
#include "json_build.hpp"

namespace emma {

json Engine::sync_op(const std::string& op, const Fields&, const std::uint8_t*, std::size_t, std::int64_t,
                     std::vector<std::uint8_t>&) {
  if (op == "sync.disable") return Obj()("sync_delete", end_sync())("persist", consent_.granted("personalization"));
  throw Error(code::unsupported, op + ": this build of the engine has no sync (the embed script); use the npm package");
}

void Engine::note_change(json) {}

void Engine::replay(const json&, std::int64_t) {}

}  // namespace emma
