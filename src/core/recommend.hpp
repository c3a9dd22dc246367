// Ranking: which items to show a shopper, and why. The only place that scores items.
#pragma once
#include <cstdint>
#include <optional>
#include <string>

#include "catalog.hpp"
#include "profile.hpp"

namespace emma {

struct RecommendRequest {
  std::string scenario = "for_you";
  std::size_t limit = 8;
  std::optional<std::string> item;  // the page's current item (similar, context)
  bool in_stock_only = false;
};

RecommendRequest parse_recommend_request(const json& raw);

// `profile` is null when the shopper is not (or no longer) personalized: the answer then
// rests on the shop's popularity and the current page only.
json recommend(const Catalog& catalog, const Profile* profile, const RecommendRequest& request,
               std::int64_t now);

}  // namespace emma
