#include "service.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "json_build.hpp"

namespace emma {
namespace {

constexpr double kDayMs = 86'400'000.0;
// Due from 80% of the cycle on: a shopper who restocks a little early should find it there.
constexpr double kDue = 0.8;
// Long past several cycles the habit has likely ended: such items sink, they do not vanish.
constexpr double kStale = 3;
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

json reorder_answer(const Bundle& bundle, const Profile* profile, std::size_t limit, std::int64_t now) {
  const Catalog& c = bundle.catalog;
  const Model& m = bundle.model;
  json items = json::array();
  if (!profile) return answer("reorder", profile, std::move(items));  // only the shopper's own history can say
  // Each item's orders (lines of one order share a time; orders within a day count once).
  std::map<std::uint32_t, std::vector<std::int64_t>> orders;
  for (const auto& line : profile->purchases()) {
    const std::uint32_t i = c.index_of(line.item);
    if (i != kNone) orders[i].push_back(line.at);
  }
  for (auto& [i, t] : orders) {  // pages may report purchases out of order
    std::sort(t.begin(), t.end());
    std::size_t kept = 1;
    for (std::size_t k = 1; k < t.size(); ++k) {
      if (t[k] - t[kept - 1] >= kDayMs) t[kept++] = t[k];
    }
    t.resize(kept);
  }
  struct Due {
    std::uint32_t item;
    double score, cycle, since;
    bool own;
  };
  std::vector<Due> due;
  for (const auto& [i, t] : orders) {
    std::vector<double> gaps;
    for (std::size_t k = 1; k < t.size(); ++k) gaps.push_back(static_cast<double>(t[k] - t[k - 1]) / kDayMs);
    const double shop = i < m.rebuy_days.size() ? m.rebuy_days[i] : 0;
    double cycle = 0;
    if (!gaps.empty()) {
      std::nth_element(gaps.begin(), gaps.begin() + gaps.size() / 2, gaps.end());
      cycle = gaps[gaps.size() / 2];
      if (gaps.size() == 1 && shop > 0) cycle = (cycle + shop) / 2;  // one gap says little alone
    } else {
      cycle = shop;  // one purchase: the shop's customers' cycle, if it has one
    }
    if (cycle <= 0) continue;
    const double since = static_cast<double>(now - t.back()) / kDayMs;
    const double ratio = since / cycle;
    if (ratio < kDue) continue;
    const double timing = ratio <= kStale ? 1 : kStale / ratio;
    due.push_back({i, timing * std::log2(1.0 + static_cast<double>(t.size())), cycle, since, !gaps.empty()});
  }
  std::stable_sort(due.begin(), due.end(), [](const Due& a, const Due& b) { return a.score > b.score; });
  for (const auto& d : due) {
    if (items.size() >= limit) break;
    json j = c.item_json(c.item(d.item));
    j["score"] = d.score;
    const std::string text = (d.own ? "You usually reorder this about every " : "Customers usually reorder this about every ") +
                             period(d.cycle) + "; last time " + period(d.since) + " ago";
    j["reasons"] = Arr()(Obj()("kind", "reorder")("text", text)("every_days", std::round(d.cycle))
                             ("last_days", std::round(d.since))("basis", d.own ? "own" : "shop"));
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
