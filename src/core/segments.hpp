// On-device segments: which groups this shopper belongs to, computed here and never sent
// anywhere (the `insights` purpose may later report them noised). Built-in segments plus
// definitions from the bundle's META ("segments") or the request.
#pragma once
#include <cstdint>
#include <string>

#include "bundle.hpp"
#include "personal.hpp"
#include "profile.hpp"

namespace emma {

// What the shopper's own items say of their taste (similar leans to it, with consent): the
// brand of at least half of their branded items (two at least; else empty) and the median
// price of what they looked at or bought (-1: none).
struct Taste {
  std::string brand;
  double price = -1;
};
Taste taste_of(const Catalog& c, const Profile& p);

// Built-in: new, returning, high_intent, price_sensitive, brand_loyal. A definition is
// {"id", "when": {"category", "min_affinity", "brand", "max_median_price", "min_purchases",
// "in_cart"}} and holds when every condition it names holds.
json compute_segments(const Bundle& bundle, const Profile* profile, const json& definitions, std::int64_t now);

// pick_variant: variants are {"id", "categories": [...], "segments": [...], "returning": bool,
// "price_sensitive": bool, "from"/"until": "YYYY-MM-DD"}. A variant fits when every condition
// it names holds (a list: any of its entries); the best-scoring fitting one is chosen, the
// first on ties; a variant naming no condition always fits (score 0). `chosen` is null when
// none fits. `definitions`: the shop's own segments, usable in "segments".
json pick_variant(const Bundle& bundle, const Profile* profile, const json& variants, const json& definitions, std::int64_t now);

}  // namespace emma
