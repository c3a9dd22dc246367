// Personal service: what a corner shop would offer a regular without being asked.
//   reorder   items the shopper buys regularly that are due again: from their own purchase
//             times, else the shop's repurchase cycle (bundle RPCH)
//   continue  where the shopper left off: the cart, then items viewed lately and not bought
#pragma once
#include <cstdint>
#include <utility>
#include <vector>

#include "bundle.hpp"
#include "profile.hpp"

namespace emma {

// Keeps the best `limit` (score, index) pairs in `top`, best first, earlier ones first on ties:
// one small loop instead of a sort instantiated per scenario (the page pays for wasm code).
void keep_best(std::vector<std::pair<double, std::uint32_t>>& top, std::size_t limit, double score, std::uint32_t index);

json reorder_answer(const Bundle& bundle, const Profile* profile, std::size_t limit, std::int64_t now);
json continue_answer(const Bundle& bundle, const Profile* profile, std::size_t limit, std::int64_t now);

}  // namespace emma
