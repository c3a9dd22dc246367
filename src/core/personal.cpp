#include "personal.hpp"

#include <algorithm>
#include <cmath>

#include "power.hpp"

namespace emma {
namespace {

// Model parameters (docs/benchmarks.md, measured on the Online Retail protocol): distinct
// baskets per bought item, lifted by recent popularity; no time decay (it did not help).
constexpr double kPopExponent = 0.3;
constexpr double kViewShare = 0.3;  // a view's part in what the shopper's neighbours are drawn from
constexpr double kAssoc = 0.6, kLooked = 0.3, kTierCategory = 0.1;  // the middle tier's blend

template <typename Map, typename Get>
void normalize(Map& m, Get get) {
  double top = 0;
  for (auto& kv : m) top = std::max(top, get(kv.second));
  if (top > 0) {
    for (auto& kv : m) get(kv.second) /= top;
  }
}

}  // namespace

PersonalSignals no_personal_signals(const Catalog& c) {
  PersonalSignals s;
  s.category.assign(c.category_count(), 0);
  s.affinity.assign(c.category_count(), 0);
  return s;
}

PersonalSignals personal_signals(const Bundle& bundle, const Profile& profile, std::int64_t now) {
  const Catalog& c = bundle.catalog;
  PersonalSignals s = no_personal_signals(c);

  // Purchases: in how many distinct baskets (lines of one order share a time) each item was.
  const auto& lines = profile.purchases();
  std::unordered_map<std::uint32_t, std::int64_t> last_basket;
  for (const auto& line : lines) {
    const std::uint32_t i = c.index_of(line.item);
    if (i == kNone) continue;
    auto [it, added] = last_basket.try_emplace(i, line.at);
    if (added || it->second != line.at) {
      s.bought[i] += 1;
      it->second = line.at;
    }
  }
  for (const auto& [id, n] : profile.folded_baskets()) {
    const std::uint32_t i = c.index_of(id);
    if (i != kNone) s.bought[i] += n;
  }
  // Views, clicks, carts (already decayed in the profile).
  for (const auto& [id, sig] : profile.items()) {
    const std::uint32_t i = c.index_of(id);
    if (i != kNone) s.looked[i] = profile.decay(sig, now);
  }
  normalize(s.looked, [](double& v) -> double& { return v; });
  // What neighbours are drawn from: baskets, and views at a smaller share.
  for (const auto& [i, v] : s.bought) s.own[i] += v;
  for (const auto& [i, v] : s.looked) s.own[i] += kViewShare * v;
  normalize(s.own, [](double& v) -> double& { return v; });

  // Neighbours of what the shopper bought or viewed, f(j) = sum of own(i) s(i->j); the
  // largest part names the reason.
  std::unordered_map<std::uint32_t, double> best_part;
  for (const auto& [i, o] : s.own) {
    auto [b, e] = bundle.model.neighbours_of(i);
    for (auto it = b; it != e; ++it) {
      // On a grid of 2^-40, so that the sums are exact and do not depend on the hash map's order,
      // which differs between views of one catalog (a sharded one's items have other indices).
      const double part = std::nearbyint(o * it->score * 0x1p40) * 0x1p-40;
      auto& a = s.assoc.try_emplace(it->item, AssocSignal{0, i}).first->second;
      a.value += part;
      double& best = best_part[it->item];
      if (part > best || (part == best && i < a.source)) {
        best = part;
        a.source = i;
      }
    }
  }
  normalize(s.assoc, [](AssocSignal& v) -> double& { return v.value; });

  for (const auto& [path, sig] : profile.categories()) {
    const std::uint32_t cat = c.category_id(path);
    if (cat != kNone) s.category[cat] = profile.decay(sig, now);
  }
  double top = 0;
  for (double v : s.category) top = std::max(top, v);
  if (top > 0) {
    for (double& v : s.category) v /= top;
  }
  // Parents come before children in the bundle, so one pass finds each category's
  // strongest ancestor.
  std::vector<double> up(c.category_count(), 0);
  for (std::uint32_t k = 0; k < c.category_count(); ++k) {
    const std::uint32_t parent = c.category(k).parent;
    if (parent != kNone) up[k] = std::max(s.category[parent], up[parent]);
    s.affinity[k] = std::max(s.category[k], 0.5 * up[k]);
  }
  s.empty = s.own.empty() && profile.categories().empty();
  return s;
}

ForYou::ForYou(const PersonalSignals& signals, const std::vector<float>& raw, const std::vector<float>& scaled)
    : s(signals), pop_raw(raw), pop(scaled) {
  for (const auto& [i, n] : s.bought) top_bought = std::max(top_bought, n * power(1.0 + pop_raw[i], kPopExponent));
}

void ForYou::fill(const Catalog& c, std::vector<double>& score) const {
  const std::size_t n = c.size();
  for (std::uint32_t i = 0; i < n; ++i) {
    const std::uint32_t cat = c.item(i).category;
    score[i] = 0.5 * (cat == kNone ? 0 : s.affinity[cat]) + 0.5 * pop[i] * 0.999;
  }
  for (const auto& [i, a] : s.assoc) score[i] = (*this)(c.item(i), i);
  for (const auto& [i, v] : s.looked) score[i] = (*this)(c.item(i), i);
  for (const auto& [i, v] : s.bought) score[i] = (*this)(c.item(i), i);
}

double ForYou::operator()(const Item& item, std::uint32_t i) const {
  if (const auto b = s.bought.find(i); b != s.bought.end() && top_bought > 0) {
    return 2 + b->second * power(1.0 + pop_raw[i], kPopExponent) / top_bought;
  }
  const double assoc = s.assoc_of(i).value;
  const auto l = s.looked.find(i);
  const double looked = l == s.looked.end() ? 0 : l->second;
  const double affinity = s.affinity_of(item);
  if (assoc > 0 || looked > 0) return 1 + kAssoc * assoc + kLooked * looked + kTierCategory * affinity;
  return 0.5 * affinity + 0.5 * pop[i] * 0.999;  // stays below 1
}

}  // namespace emma
