// A bundle from a plain catalog object (`createEmma({ bundle: { items } })`): the items are
// validated and written as a bundle, then read back, so both ways in give the same engine
// state. Its own file: the embed script, which only ever loads bundle files, links
// bundle_from_json_none.cpp instead and leaves this, the catalog parser and the bundle writer
// out of its wasm (docs/benchmarks.md "Sizes").
#include "bundle.hpp"
#include "catalog.hpp"
#include "json_build.hpp"

namespace emma {

std::unique_ptr<Bundle> bundle_from_catalog_json(const json& doc) {
  const auto items = parse_catalog_items(doc);
  ModelInput model;
  model.windows.push_back({"catalog", 0});
  model.popularity.emplace_back();
  for (const auto& it : items) model.popularity.back().push_back(static_cast<float>(it.popularity));
  return read_bundle(write_bundle(items, model, Obj()("source", "catalog object")));
}

}  // namespace emma
