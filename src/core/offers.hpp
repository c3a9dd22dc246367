// offers: the shop's current promotions (bundle section OFFR), matched to this shopper on the
// device. An offer is shown only on the days it is valid; targeted offers (categories,
// brands, segments, a minimum basket) only to a personalized shopper they fit, untargeted
// ones to everyone, by the shop's priority.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "bundle.hpp"
#include "profile.hpp"

namespace emma {

// A date field "YYYY-MM-DD" (UTC) as ms since the epoch: its first millisecond, or with
// `end` its last. Absent: `fallback`. Errors name the field and use the Fields' code.
// Days since 1970-01-01 of a civil date (also emma-model's order dates, src/tools/inputs.cpp).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d);
std::int64_t day_ms(const Fields& f, const char* key, bool end, std::int64_t fallback);

// Offers as a shop writes them ({id, title, text, url, image, from, until, categories,
// brands, segments, min_basket, priority}), checked; the same array back. `path` names
// the array in errors ("offers" in emma-model, "OFFR" for a bundle).
json check_offers(const json& offers, const std::string& path, const char* error_code);

// A bundle's bytes with an OFFR section holding `offers` (replacing one it had).
std::vector<std::uint8_t> with_offers(const std::vector<std::uint8_t>& bundle, const json& offers);
// The OFFR section's offers (an empty array for a bundle without one).
json read_offers(std::string_view section);

// The offers scenario: valid now, fitting this shopper, best first, with reasons.
// `definitions`: the shop's own segments (as for the segments scenario).
json offers_answer(const Bundle& bundle, const Profile* profile, const json& definitions, std::size_t limit, std::int64_t now);

}  // namespace emma
