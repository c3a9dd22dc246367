// Ranking: which items to show a shopper, and why. The only place that scores items.
// A request names a scenario (what the page needs) and rules (what the shop allows); the
// answer lists items with their catalog fields, a score and the reasons behind it.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "bundle.hpp"
#include "profile.hpp"

namespace emma {

struct Boost {
  std::string field;  // brand | tag | category | attribute:<name>
  std::string value;
  double factor = 1;  // > 1 boosts, < 1 buries
};

struct Pin {
  std::string item;
  std::size_t position = 0;  // 0-based
};

struct Rules {
  bool in_stock_only = false;
  std::vector<std::string> include_categories, exclude_categories;  // "Home/Candles" paths
  std::vector<std::string> include_brands, exclude_brands, include_tags, exclude_tags;
  std::optional<double> price_min, price_max;
  bool exclude_purchased = false;
  std::optional<double> repurchase_window_days;  // with exclude_purchased: only purchases this recent
  std::vector<std::string> exclude_items;
  bool exclude_current = true;  // the page's own item
  bool exclude_cart = true;
  std::vector<Boost> boosts;
  std::vector<Pin> pins;
  std::size_t max_per_category = 0;  // 0: no cap
  double diversity = 0;              // MMR trade-off in [0, 1]: 0 relevance only
};

struct RecommendRequest {
  std::string scenario = "for_you";
  std::size_t limit = 8;
  std::optional<std::string> item;   // the page's current item
  std::vector<std::string> items;    // rerank: the page's list; bought_together: a cart
  std::optional<std::string> query;  // rerank: the search query behind the list
  std::string window;                // trending: "7d", "30d", ...
  std::optional<std::uint64_t> seed; // deterministic shuffling of ties and exploration
  json variants;                     // pick_variant
  json definitions;                  // segments, pick_variant, offers: the shop's own segments
  Rules rules;
};

inline constexpr const char* kScenarios[] = {"for_you", "discover", "similar", "bought_together", "trending", "recently_viewed",
                                            "rerank", "pick_variant", "segments", "offers", "reorder", "continue"};

RecommendRequest parse_recommend_request(const json& raw);

// `profile` is null when the shopper is not (or no longer) personalized: the answer then
// rests on the shop's statistics and the current page only.
json recommend(const Bundle& bundle, const Profile* profile, const RecommendRequest& request, std::int64_t now);

// Why `item` would be recommended to this shopper now: the same signals, for one item.
json explain(const Bundle& bundle, const Profile* profile, const std::string& item, std::int64_t now);

}  // namespace emma
