#include "discover.hpp"

#include <algorithm>
#include <cmath>

#include "power.hpp"

namespace emma {
namespace {

// Measured on the Online Retail protocol, discovery task (src/tools/bench/RESULTS.md): the
// newest 50 purchase lines as anchors (the reference item-kNN's choice; decaying weights over
// the whole history ranked worse), each pair's baskets B(a,j) / (B(a)^0.5 B(j)^0.6) (cosine
// favours rare items a little too much here), times (1 + recent baskets) / (1 + all-time
// baskets / 10) to the power 0.6 (what is selling now, e.g. the season's goods).
constexpr std::size_t kAnchorLines = 50;
constexpr double kAnchorExp = 0.5, kCandidateExp = 0.6, kTrend = 0.6, kTrendDiv = 10;
// Not measurable on an order log (it has no views): a view says less than a purchase.
constexpr double kViewAnchor = 0.5, kLooked = 0.3;

}  // namespace

void discover_scores(const Bundle& bundle, const Profile* profile, const PersonalSignals& s, const std::vector<float>& pop_raw,
                     const std::vector<float>& pop, std::vector<double>& score, std::vector<std::uint32_t>& source) {
  const Catalog& c = bundle.catalog;
  const Model& m = bundle.model;
  const std::size_t n = c.size();
  for (std::uint32_t i = 0; i < n; ++i) score[i] = 0.5 * s.affinity_of(c.item(i)) + 0.5 * pop[i] * 0.999;
  if (!profile) return;

  // Anchor weights, dense: the loops below then visit anchors in catalog order, so that sums
  // and ties are the same on every build.
  std::vector<double> w(n, 0), knn(n, 0), best(n, 0);
  bool dated = false;
  const auto& lines = profile->purchases();
  for (std::size_t k = 0; k < lines.size() && k < kAnchorLines; ++k) {
    const std::uint32_t i = c.index_of(lines[lines.size() - 1 - k].item);
    if (i != kNone) w[i] = 1, dated = true;
  }
  if (!dated) {  // only undated purchases left
    for (const auto& kv : profile->folded_baskets()) {
      const std::uint32_t i = c.index_of(kv.first);
      if (i != kNone) w[i] = 1;
    }
  }
  for (const auto& r : profile->recent()) {
    const std::uint32_t i = c.index_of(r.first);
    if (i != kNone && w[i] == 0) w[i] = kViewAnchor;
  }

  // B(i): the item's baskets in the bundle's all-time window (1 without one).
  const std::size_t all = m.window("all");
  auto baskets = [&](std::uint32_t i) { return std::max(1.0, static_cast<double>(m.popularity_of(all, i))); };
  for (std::uint32_t a = 0; a < n; ++a) {
    if (w[a] == 0) continue;
    const double ba = baskets(a);
    const double scale = w[a] * (ba + kNeighbourShrink) / power(ba, kAnchorExp);  // s(a->j) (B(a) + shrink) = B(a,j)
    auto [b, e] = m.neighbours_of(a);
    for (auto it = b; it != e; ++it) {
      const double part = scale * it->score / power(baskets(it->item), kCandidateExp);
      knn[it->item] += part;
      if (part > best[it->item]) {
        best[it->item] = part;
        source[it->item] = a;
      }
    }
  }
  double top = 0;
  for (std::uint32_t j = 0; j < n; ++j) {
    if (knn[j] > 0) top = std::max(top, knn[j] *= power((pop_raw[j] + 1) / (baskets(j) / kTrendDiv + 1), kTrend));
  }
  for (std::uint32_t j = 0; j < n; ++j) {
    if (knn[j] > 0) score[j] = 1 + knn[j] / top;
  }
  for (const auto& [j, v] : s.looked) score[j] = std::max(score[j], 1.0) + kLooked * v;
}

}  // namespace emma
