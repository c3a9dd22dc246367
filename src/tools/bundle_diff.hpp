// What changed between two bundles (emma-model diff): for a shop that rebuilds every night
// and wants to see, before it deploys, whether tonight's bundle looks like last night's.
#pragma once
#include "core/bundle.hpp"

namespace emma_tools {

// Items added, removed and changed (title, price, stock, category); co-purchase pairs added
// and removed; popularity: the top `top` of the trending window (30d), who entered and
// left it and who moved most. Lists are capped at `top` entries, counts are exact.
emma::json diff_bundles(const emma::Bundle& old_bundle, const emma::Bundle& new_bundle, std::size_t top = 20);

}  // namespace emma_tools
