#include "personal.hpp"

#include <algorithm>
#include <cmath>
#include <unordered_map>

namespace emma {
namespace {

constexpr double kMsPerDay = 86'400'000.0;

// Model parameters (see README "Quality"): how the shopper's purchase history and the shop's
// co-purchase neighbours are weighed.
constexpr double kBasketDecay = 0.9;          // weight of a purchase per later basket (TIFU-style group decay)
constexpr double kPurchaseHalfLifeDays = 120; // and per elapsed time
constexpr double kViewShare = 0.3;            // views and carts next to purchases in `own`
constexpr double kWeightOwn = 1.0, kWeightAssoc = 0.35, kWeightCategory = 0.15, kWeightPop = 0.05;

void normalize(std::vector<double>& v) {
  double top = 0;
  for (double x : v) top = std::max(top, x);
  if (top > 0) {
    for (double& x : v) x /= top;
  }
}

}  // namespace

PersonalSignals personal_signals(const Bundle& bundle, const Profile& profile, std::int64_t now) {
  const Catalog& c = bundle.catalog;
  const Model& m = bundle.model;
  const std::size_t n = c.size();
  PersonalSignals s;
  s.own.assign(n, 0);
  s.assoc.assign(n, 0);
  s.assoc_source.assign(n, kNone);
  s.category.assign(c.category_count(), 0);

  // Purchases: each line weighs less per later basket and per day since.
  std::vector<double> bought(n, 0);
  const auto& lines = profile.purchases();
  std::size_t later_baskets = 0;
  for (std::size_t k = lines.size(); k-- > 0;) {
    if (k + 1 < lines.size() && lines[k].at != lines[k + 1].at) ++later_baskets;
    const std::uint32_t i = c.index_of(lines[k].item);
    if (i == kNone) continue;
    const double age_days = std::max(0.0, static_cast<double>(now - lines[k].at) / kMsPerDay);
    bought[i] += std::pow(kBasketDecay, static_cast<double>(later_baskets)) * std::exp2(-age_days / kPurchaseHalfLifeDays);
  }
  normalize(bought);
  // Views, clicks, carts (already decayed in the profile).
  std::vector<double> looked(n, 0);
  for (const auto& [id, sig] : profile.items()) {
    const std::uint32_t i = c.index_of(id);
    if (i != kNone) looked[i] = profile.decay(sig, now);
  }
  normalize(looked);
  for (std::size_t i = 0; i < n; ++i) {
    s.own[i] = bought[i] + kViewShare * looked[i];
    if (s.own[i] > 0) s.touched.push_back(static_cast<std::uint32_t>(i));
  }
  normalize(s.own);

  // Neighbours of what the shopper bought or viewed.
  std::vector<double> best_part(n, 0);
  for (std::uint32_t i : s.touched) {
    auto [b, e] = m.neighbours_of(i);
    for (auto it = b; it != e; ++it) {
      const double part = s.own[i] * it->score;
      s.assoc[it->item] += part;
      if (part > best_part[it->item]) {
        best_part[it->item] = part;
        s.assoc_source[it->item] = i;
      }
    }
  }
  normalize(s.assoc);

  for (const auto& [path, sig] : profile.categories()) {
    const std::uint32_t cat = c.category_id(path);
    if (cat != kNone) s.category[cat] = profile.decay(sig, now);
  }
  normalize(s.category);
  s.empty = s.touched.empty() && profile.categories().empty();
  return s;
}

double for_you_score(const PersonalSignals& s, std::uint32_t item, double category_affinity, double pop) {
  return kWeightOwn * s.own[item] + kWeightAssoc * s.assoc[item] + kWeightCategory * category_affinity + kWeightPop * pop;
}

}  // namespace emma
