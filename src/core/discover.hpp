// discover ("new for you"): what the shopper has not bought yet. The request's rules exclude
// every item the profile knows was bought; this file ranks the rest. for_you ranks the
// shopper's own items first (most of a next basket repeats earlier ones); here the evidence
// is what other customers bought together with the shopper's latest items.
#pragma once
#include <cstdint>
#include <vector>

#include "personal.hpp"

namespace emma {

// Scores in two tiers:
//   [1, 2.3]  co-purchase neighbours of the newest purchases and views (cosine-like, lifted
//             by recent popularity), and items looked at but not bought
//   [0, 1)    the rest: category interest and the shop's popularity (for_you's lowest tier)
// `source[i]` is the shopper's item behind a neighbour score (the reason).
void discover_scores(const Bundle& bundle, const Profile* profile, const PersonalSignals& s, const std::vector<float>& pop_raw,
                     const std::vector<float>& pop, std::vector<double>& score, std::vector<std::uint32_t>& source);

}  // namespace emma
