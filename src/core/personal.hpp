// What the shopper's own history says, turned into per-item and per-category signals for
// ranking. Kept apart from recommend.cpp so that the scoring model lives in one place.
// Item signals are sparse (only what the shopper touched and its neighbours), so a request
// costs one pass over the catalog whatever its size.
#pragma once
#include <cstdint>
#include <unordered_map>
#include <vector>

#include "bundle.hpp"
#include "profile.hpp"

namespace emma {

struct AssocSignal {
  double value;          // in [0, 1]
  std::uint32_t source;  // the shopper's item that contributed most
};

struct PersonalSignals {
  std::unordered_map<std::uint32_t, double> bought;      // distinct baskets the item was in
  std::unordered_map<std::uint32_t, double> looked;      // in [0, 1]: viewed, clicked, carted (decayed)
  std::unordered_map<std::uint32_t, double> own;         // in [0, 1]: bought or looked at before
  std::unordered_map<std::uint32_t, AssocSignal> assoc;  // in [0, 1]: neighbours of those
  std::vector<double> category;  // per category id, in [0, 1]
  std::vector<double> affinity;  // per category id: the leaf's interest, or half its strongest ancestor's
  bool empty = true;

  double own_of(std::uint32_t i) const {
    const auto it = own.find(i);
    return it == own.end() ? 0 : it->second;
  }
  AssocSignal assoc_of(std::uint32_t i) const {
    const auto it = assoc.find(i);
    return it == assoc.end() ? AssocSignal{0, kNone} : it->second;
  }
  double affinity_of(const Item& item) const { return item.category == kNone ? 0 : affinity[item.category]; }
};

// Empty signals of the right shape when the shopper is not personalized.
PersonalSignals no_personal_signals(const Catalog& catalog);
PersonalSignals personal_signals(const Bundle& bundle, const Profile& profile, std::int64_t now);

// for_you, in three tiers (docs/benchmarks.md):
//   [2, 3]  items the shopper bought: distinct baskets x (1 + recent popularity)^0.3
//   [1, 2)  items looked at, and neighbours of what was bought or looked at
//   [0, 1)  the rest: category interest and the shop's popularity
// `pop_raw` is the popularity window's count, `pop` the same scaled to [0, 1].
struct ForYou {
  const PersonalSignals& s;
  const std::vector<float>& pop_raw;
  const std::vector<float>& pop;
  double top_bought = 0;  // the largest bought score, for scaling into its tier
  ForYou(const PersonalSignals& signals, const std::vector<float>& raw, const std::vector<float>& scaled);
  double operator()(const Item& item, std::uint32_t i) const;
  // Every item's score at once: one dense pass for the lowest tier, then the shopper's few
  // items (no lookups per catalog item).
  void fill(const Catalog& catalog, std::vector<double>& score) const;
};

}  // namespace emma
