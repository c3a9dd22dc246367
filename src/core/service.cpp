#include "service.hpp"

#include <algorithm>
#include <cmath>
#include <unordered_map>
#include <string>
#include <vector>

#include "json_build.hpp"
#include "power.hpp"

namespace emma {
namespace {

constexpr double kDayMs = 86'400'000.0;
// Measured on the Online Retail protocol (src/tools/bench/RESULTS.md, "Reorder"): what decides
// whether an item is in the next basket is mostly how often and how lately it was bought, so
// items rank by their orders, each weighted by its age with a half-life of 120 days; the cycle
// only sorts out what was just bought (under a quarter of its cycle ago: not due) and lowers
// what is not quite due yet a little (timing^0.1). Hard cut-offs at 50-80% of the cycle, or a
// stronger timing factor, ranked worse than the shopper's plain most-frequent items.
constexpr double kHalfLifeDays = 120;
constexpr double kNotDue = 0.25, kTimingExp = 0.1;
// Views closer than this belong to one visit.
constexpr std::int64_t kSessionGapMs = 30 * 60 * 1000;

std::string period(double days) {
  const long d = std::lround(days);
  if (d < 14) return std::to_string(std::max(1L, d)) + (d == 1 ? " day" : " days");
  return std::to_string(std::lround(days / 7)) + " weeks";
}

json answer(const char* scenario, const Profile* profile, json items) {
  return Obj()("scenario", scenario)("personalized", profile != nullptr)("items", std::move(items));
}

}  // namespace

void keep_best(std::vector<std::pair<double, std::uint32_t>>& top, std::size_t limit, double score, std::uint32_t index) {
  std::size_t at = top.size();
  while (at > 0 && top[at - 1].first < score) --at;
  if (at >= limit) return;
  if (top.size() < limit) top.emplace_back();
  for (std::size_t k = top.size() - 1; k > at; --k) top[k] = top[k - 1];
  top[at] = {score, index};
}

json reorder_answer(const Bundle& bundle, const Profile* profile, std::size_t limit, std::int64_t now) {
  const Catalog& c = bundle.catalog;
  const Model& m = bundle.model;
  json items = json::array();
  if (!profile) return answer("reorder", profile, std::move(items));  // only the shopper's own history can say
  // Every dated purchase as one number, item index above its time, sorted: each item's
  // orders in time order, whatever order the page reported them in.
  constexpr int kTimeBits = 42;  // ms until the year 2109
  std::vector<long long> lines;
  for (const auto& line : profile->purchases()) {
    const std::uint32_t i = c.index_of(line.item);
    // (catalogs of up to 2^21 items; a time past 2109 or an item beyond that is left out)
    if (i < (1u << (63 - kTimeBits)) && line.at >= 0 && line.at < (1LL << kTimeBits) - 1) {
      lines.push_back(static_cast<long long>(i) << kTimeBits | line.at);
    }
  }
  // Orders folded into counts (past retention) are undated: at the latest, as old as the
  // oldest dated line or the retention limit (as for excludePurchased).
  const std::int64_t folded_at = profile->purchases().empty()
      ? now - static_cast<std::int64_t>(profile->config().raw_event_days * kDayMs) : profile->purchases().front().at;
  std::unordered_map<std::uint32_t, double> folded;
  for (const auto& kv : profile->folded_baskets()) {
    const std::uint32_t i = c.index_of(kv.first);
    if (i >= (1u << (63 - kTimeBits))) continue;  // kNone too
    folded[i] = kv.second;
    lines.push_back(static_cast<long long>(i) << kTimeBits | ((1LL << kTimeBits) - 1));  // marks the item, no order
  }
  std::sort(lines.begin(), lines.end());
  auto age_weight = [&](std::int64_t at) { return std::exp2(-static_cast<double>(now - at) / kDayMs / kHalfLifeDays); };
  struct Due {
    std::uint32_t item;
    double cycle, since;
    const char* basis;
  };
  std::vector<Due> facts;
  std::vector<std::pair<double, std::uint32_t>> top;
  std::vector<std::int64_t> t;
  std::vector<double> gaps;
  for (std::size_t b = 0, e = 0; b < lines.size(); b = e) {
    const auto i = static_cast<std::uint32_t>(lines[b] >> kTimeBits);
    t.clear();
    for (e = b; e < lines.size() && static_cast<std::uint32_t>(lines[e] >> kTimeBits) == i; ++e) {
      const std::int64_t at = lines[e] & ((1LL << kTimeBits) - 1);
      // orders within a day count once; the marker of folded orders is no order
      if (at != (1LL << kTimeBits) - 1 && (t.empty() || at - t.back() >= kDayMs)) t.push_back(at);
    }
    gaps.clear();
    for (std::size_t k = 1; k < t.size(); ++k) gaps.push_back(static_cast<double>(t[k] - t[k - 1]) / kDayMs);
    const double shop = i < m.rebuy_days.size() ? m.rebuy_days[i] : 0;
    const auto f = folded.find(i);
    const double old = f == folded.end() ? 0 : f->second;
    double cycle = shop;  // one order: the shop's customers' cycle, if it has one
    const char* basis = "shop";
    if (!gaps.empty()) {
      std::nth_element(gaps.begin(), gaps.begin() + gaps.size() / 2, gaps.end());
      cycle = gaps[gaps.size() / 2];
      if (gaps.size() == 1 && shop > 0) cycle = (cycle + shop) / 2;  // one gap says little alone
      basis = "own";
    }
    // Bought regularly: a cycle is known, or it was bought more than once.
    if (cycle <= 0 && t.size() + old < 2) continue;
    const std::int64_t last = t.empty() ? folded_at : t.back();
    const double since = static_cast<double>(now - last) / kDayMs;
    const double ratio = cycle > 0 ? since / cycle : 1;
    if (ratio < kNotDue) continue;
    double weight = old * age_weight(folded_at);
    for (auto at : t) weight += age_weight(at);
    keep_best(top, limit, weight * power(std::min(1.0, ratio), kTimingExp), static_cast<std::uint32_t>(facts.size()));
    facts.push_back({i, cycle, since, cycle > 0 ? basis : "history"});
  }
  for (const auto& [score, k] : top) {
    const Due& d = facts[k];
    json j = c.item_json(c.item(d.item));
    j["score"] = score;
    const std::string ago = period(d.since) + " ago";
    const std::string text = d.basis[0] == 'o' ? "You usually reorder this about every " + period(d.cycle) + "; last time " + ago
                           : d.basis[0] == 's' ? "Customers usually reorder this about every " + period(d.cycle) + "; you bought it " + ago
                                               : "You bought this before; last time " + ago;
    json why = Obj()("kind", "reorder")("text", text)("last_days", std::round(d.since))("basis", d.basis);
    if (d.cycle > 0) why["every_days"] = std::round(d.cycle);
    j["reasons"] = Arr()(std::move(why));
    items.push_back(std::move(j));
  }
  return answer("reorder", profile, std::move(items));
}

json continue_answer(const Bundle& bundle, const Profile* profile, std::size_t limit, std::int64_t now) {
  (void)now;
  const Catalog& c = bundle.catalog;
  json items = json::array();
  if (!profile) return answer("continue", profile, std::move(items));
  std::vector<std::uint32_t> seen;
  auto add = [&](std::uint32_t i, json reason) {
    if (i == kNone || items.size() >= limit || std::find(seen.begin(), seen.end(), i) != seen.end()) return;
    seen.push_back(i);
    json j = c.item_json(c.item(i));
    j["score"] = 1.0;
    j["reasons"] = Arr()(std::move(reason));
    items.push_back(std::move(j));
  };
  for (const auto& id : profile->cart()) add(c.index_of(id), Obj()("kind", "in_cart")("text", "Still in your cart"));
  // The last visit: the newest views, back to the first gap of half an hour.
  const auto& recent = profile->recent();  // newest first
  for (std::size_t k = 0; k < recent.size(); ++k) {
    if (k > 0 && recent[k - 1].second - recent[k].second > kSessionGapMs) break;
    const std::string& id = recent[k].first;
    const std::int64_t at = recent[k].second;
    const bool bought = std::any_of(profile->purchases().begin(), profile->purchases().end(),
                                    [&](const Purchase& p) { return p.item == id && p.at >= at; });
    if (!bought) add(c.index_of(id), Obj()("kind", "viewed")("text", "You looked at this")("viewed_at", at));
  }
  return answer("continue", profile, std::move(items));
}

}  // namespace emma
