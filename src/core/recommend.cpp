#include "recommend.hpp"

#include <algorithm>
#include <vector>

#include "error.hpp"

namespace emma {
namespace {

constexpr std::size_t kMaxLimit = 100;

struct Candidate {
  std::uint32_t index;
  double score;
  double affinity;          // strongest category interest behind the score
  std::int64_t category;    // the category that carried it, -1 for none
  double own_interest;      // the shopper's direct interest in the item
};

// Strongest interest among the item's categories; deeper matches count fully, parents half.
std::pair<double, std::int64_t> category_affinity(const Catalog& c, const Item& item,
                                                   const Profile& p, std::int64_t now) {
  double best = 0;
  std::int64_t best_cat = -1;
  const std::size_t depth = item.categories.size();
  for (std::size_t i = 0; i < depth; ++i) {
    const double factor = i + 1 == depth ? 1.0 : 0.5;
    const double w = factor * p.category_weight(c.category_name(item.categories[i]), now);
    if (w > best) {
      best = w;
      best_cat = item.categories[i];
    }
  }
  return {best, best_cat};
}

json reasons_for(const Catalog& c, const Item& item, const Candidate& cand, bool personalized) {
  json reasons = json::array();
  if (personalized && cand.own_interest > 0) {
    reasons.push_back({{"kind", "viewed"}, {"text", "You looked at this before"}, {"item", item.id}});
  }
  if (personalized && cand.category >= 0) {
    const auto& path = c.category_name(static_cast<std::uint32_t>(cand.category));
    const auto leaf = path.substr(path.rfind('/') + 1);
    reasons.push_back({{"kind", "category"}, {"text", "You like " + leaf}, {"category", path}});
  }
  if (item.popularity > 0 && item.popularity >= 0.5 * c.max_popularity()) {
    reasons.push_back({{"kind", "popular"}, {"text", "Popular in this shop"}});
  }
  if (reasons.empty()) reasons.push_back({{"kind", "catalog"}, {"text", "From this shop's range"}});
  return reasons;
}

}  // namespace

RecommendRequest parse_recommend_request(const json& raw) {
  Fields f(raw, "request", code::bad_request);
  RecommendRequest r;
  if (auto s = f.opt_str("scenario", 32)) r.scenario = *s;
  if (r.scenario != "for_you" && r.scenario != "trending" && r.scenario != "similar") {
    f.fail("scenario", "\"" + r.scenario + "\" is not a scenario; use for_you, trending or similar");
  }
  r.limit = static_cast<std::size_t>(f.opt_int("limit", 1, kMaxLimit).value_or(8));
  r.item = f.opt_str("item", 256);
  if (r.scenario == "similar" && !r.item) f.fail("item", "is required for the similar scenario");
  if (const json* rules = f.opt_object("rules")) {
    Fields rf(*rules, "request.rules", code::bad_request);
    r.in_stock_only = rf.opt_bool("inStock").value_or(false);
  }
  return r;
}

json recommend(const Catalog& c, const Profile* profile, const RecommendRequest& req,
               std::int64_t now) {
  const bool personalized = profile != nullptr && !profile->empty() && req.scenario == "for_you";
  const Item* anchor = req.item ? c.find(*req.item) : nullptr;
  const double max_pop = c.max_popularity() > 0 ? c.max_popularity() : 1;

  // Normalize interest so that popularity and affinity are on comparable scales.
  double max_aff = 0, max_own = 0;
  if (personalized) {
    for (const auto& [name, s] : profile->categories()) max_aff = std::max(max_aff, profile->decay(s, now));
    for (const auto& [id, s] : profile->items()) max_own = std::max(max_own, profile->decay(s, now));
  }

  std::vector<Candidate> cands;
  cands.reserve(c.size());
  for (std::uint32_t i = 0; i < c.size(); ++i) {
    const Item& item = c.items()[i];
    if (req.in_stock_only && !item.in_stock) continue;
    if (anchor == &item) continue;
    Candidate cand{i, 0.3 * item.popularity / max_pop, 0, -1, 0};
    if (req.scenario == "similar" && anchor) {
      // Same leaf category first, then shared parents.
      std::size_t shared = 0;
      while (shared < item.categories.size() && shared < anchor->categories.size() &&
             item.categories[shared] == anchor->categories[shared]) {
        ++shared;
      }
      if (shared == 0) continue;
      cand.score += static_cast<double>(shared);
    } else if (personalized) {
      auto [aff, cat] = category_affinity(c, item, *profile, now);
      cand.affinity = max_aff > 0 ? aff / max_aff : 0;
      cand.category = cat;
      cand.own_interest = max_own > 0 ? profile->item_weight(item.id, now) / max_own : 0;
      cand.score += 0.6 * cand.affinity + 0.1 * cand.own_interest;
    }
    cands.push_back(cand);
  }
  const std::size_t n = std::min(req.limit, cands.size());
  std::partial_sort(cands.begin(), cands.begin() + static_cast<std::ptrdiff_t>(n), cands.end(),
                    [&](const Candidate& a, const Candidate& b) {
                      if (a.score != b.score) return a.score > b.score;
                      return a.index < b.index;  // deterministic ties: catalog order
                    });
  json items = json::array();
  for (std::size_t k = 0; k < n; ++k) {
    const Item& item = c.items()[cands[k].index];
    json j = c.item_json(item);
    j["score"] = cands[k].score;
    j["reasons"] = reasons_for(c, item, cands[k], personalized);
    items.push_back(std::move(j));
  }
  return {{"scenario", req.scenario}, {"personalized", personalized}, {"items", items}};
}

}  // namespace emma
