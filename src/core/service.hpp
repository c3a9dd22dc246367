// Personal service: what a corner shop would offer a regular without being asked.
//   reorder   items the shopper buys regularly that are due again: from their own purchase
//             times, else the shop's repurchase cycle (bundle RPCH)
//   continue  where the shopper left off: the cart, then items viewed lately and not bought
#pragma once
#include <cstdint>

#include "bundle.hpp"
#include "profile.hpp"

namespace emma {

json reorder_answer(const Bundle& bundle, const Profile* profile, std::size_t limit, std::int64_t now);
json continue_answer(const Bundle& bundle, const Profile* profile, std::size_t limit, std::int64_t now);

}  // namespace emma
