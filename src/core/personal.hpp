// What the shopper's own history says, turned into per-item and per-category signals for
// ranking. Kept apart from recommend.cpp so that the scoring model lives in one place.
#pragma once
#include <cstdint>
#include <vector>

#include "bundle.hpp"
#include "profile.hpp"

namespace emma {

struct PersonalSignals {
  std::vector<double> own;    // per item, in [0, 1]: bought or looked at before (repurchase)
  std::vector<double> assoc;  // per item, in [0, 1]: neighbours of what the shopper bought or viewed
  std::vector<std::uint32_t> assoc_source;  // the shopper's item that contributed most to assoc
  std::vector<double> category;             // per category id, in [0, 1]
  std::vector<std::uint32_t> touched;       // items with own > 0
  bool empty = true;
};

PersonalSignals personal_signals(const Bundle& bundle, const Profile& profile, std::int64_t now);

// The for_you blend of the signals with the shop's popularity; `pop` is already in [0, 1].
double for_you_score(const PersonalSignals& s, std::uint32_t item, double category_affinity, double pop);

}  // namespace emma
