// bundle_from_catalog_json for the embed script's engine, linked instead of
// bundle_from_json.cpp: the embed loads bundle files only (data-bundle is a URL), so the
// catalog parser and the bundle writer stay out of every shop page's wasm.
#include "bundle.hpp"
#include "error.hpp"

namespace emma {

std::unique_ptr<Bundle> bundle_from_catalog_json(const json&) {
  throw Error(code::unsupported, "catalog: this build of the engine (the embed script) loads bundle files only; use emma-model to make one");
}

}  // namespace emma
