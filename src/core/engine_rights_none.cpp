// The embed script's page engine: the shopper's rights and the records are not linked in
// (engine_rights.cpp says why). emma.js moves the page's session to the engine that has them
// before it asks for one (js-bindings/src/emma.js #withRights), so this answer is only seen by
// a caller that bypasses it.
#include "engine.hpp"
#include "error.hpp"

namespace emma {

json Engine::rights_op(const std::string& op, const Fields&, const json&, const std::uint8_t*, std::size_t,
                       std::int64_t, std::vector<std::uint8_t>&) {
  throw Error(code::unsupported, op + ": this build of the engine (the embed script's page engine) leaves the shopper's "
                                      "rights out; the embed loads the engine that has them (emma-rights.wasm) first");
}

}  // namespace emma
