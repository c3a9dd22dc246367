#include "offers.hpp"

#include <algorithm>

#include "error.hpp"
#include "json_build.hpp"
#include "personal.hpp"
#include "segments.hpp"
#include "service.hpp"

namespace emma {
namespace {

constexpr std::size_t kMaxOffers = 1000;
constexpr std::int64_t kDayMs = 86'400'000;
constexpr const char* kLists[] = {"categories", "brands", "segments"};

}  // namespace

// H. Hinnant's days_from_civil.
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

std::int64_t day_ms(const Fields& f, const char* key, bool end, std::int64_t fallback) {
  const auto s = f.opt_str(key, 10);
  if (!s) return fallback;
  unsigned v[3] = {0, 0, 0};
  bool shape = s->size() == 10;
  for (std::size_t k = 0; k < s->size() && shape; ++k) {
    const char ch = (*s)[k];
    if (k == 4 || k == 7) shape = ch == '-';
    else if ((shape = ch >= '0' && ch <= '9')) v[k < 4 ? 0 : k < 7 ? 1 : 2] = v[k < 4 ? 0 : k < 7 ? 1 : 2] * 10 + static_cast<unsigned>(ch - '0');
  }
  // A day past its month's end ("2025-02-30") is refused, not rolled over into the next month.
  const bool month = shape && v[1] >= 1 && v[1] <= 12;
  if (!month || v[2] < 1 || days_from_civil(v[0], v[1], 1) + v[2] > days_from_civil(v[0] + (v[1] == 12), v[1] % 12 + 1, 1))
    f.fail(key, "expected a date YYYY-MM-DD, got \"" + *s + "\"");
  return (days_from_civil(v[0], v[1], v[2]) + (end ? 1 : 0)) * kDayMs - (end ? 1 : 0);
}

json check_offers(const json& offers, const std::string& path, const char* error_code) {
  if (!offers.is_array()) throw Error(error_code, path + ": expected an array of offers");
  if (offers.size() > kMaxOffers) throw Error(error_code, path + ": at most " + std::to_string(kMaxOffers) + " offers");
  for (std::size_t k = 0; k < offers.size(); ++k) {
    Fields f(offers[k], path + "[" + std::to_string(k) + "]", error_code);
    const std::string id = f.id("id", 128);
    f.str("title", 256);
    for (const char* key : {"text", "url", "image"}) f.opt_str(key, 2048);
    if (day_ms(f, "from", false, INT64_MIN) > day_ms(f, "until", true, INT64_MAX)) f.fail("until", "is before from");
    for (const char* key : kLists) {
      if (const json* a = f.opt_array(key)) {
        for (const auto& v : *a) {
          if (!v.is_string() || v.get_ref<const std::string&>().empty()) f.fail(key, "expected an array of names");
        }
      }
    }
    if (f.opt_num("min_basket").value_or(0) < 0) f.fail("min_basket", "must not be negative");
    f.opt_num("priority");
    for (std::size_t j = 0; j < k; ++j) {
      if (offers[j].at("id") == id) f.fail("id", "\"" + id + "\" appears twice");
    }
  }
  return offers;
}

std::vector<std::uint8_t> with_offers(const std::vector<std::uint8_t>& bundle, const json& offers) {
  std::vector<std::pair<std::string, std::string>> sections;
  for (const auto& s : read_container(bundle.data(), bundle.size())) {
    if (s.tag != "OFFR") sections.emplace_back(s.tag, std::string(s.payload));
  }
  sections.emplace_back("OFFR", check_offers(offers, "offers", code::bad_request).dump());
  return write_container(sections);
}

json read_offers(std::string_view section) {
  if (section.empty()) return json::array();
  return check_offers(parse_json(section, code::bad_bundle, "the bundle's OFFR section"), "the bundle's OFFR section (offers)",
                      code::bad_bundle);
}

json offers_answer(const Bundle& bundle, const Profile* profile, const json& definitions, std::size_t limit, std::int64_t now) {
  const Catalog& c = bundle.catalog;
  std::vector<std::string> member_of;
  std::vector<std::uint32_t> cart;
  double basket = 0;
  PersonalSignals s;
  if (profile) {
    s = personal_signals(bundle, *profile, now);
    const json segments = compute_segments(bundle, profile, definitions, now);
    for (const auto& seg : segments.at("segments")) {
      if (seg.at("member").get<bool>()) member_of.push_back(seg.at("id").get<std::string>());
    }
    for (const auto& id : profile->cart()) {
      const std::uint32_t i = c.index_of(id);
      if (i == kNone) continue;
      cart.push_back(i);
      basket += std::max(0.0, c.item(i).price);
    }
  }
  // The brands the shopper bought, looked at or has in the cart.
  std::vector<std::string> brands;
  for (const auto& [i, v] : s.own) {
    if (!c.item(i).brand.empty()) brands.emplace_back(c.item(i).brand);
  }
  for (auto i : cart) brands.emplace_back(c.item(i).brand);

  std::vector<std::pair<double, std::uint32_t>> top;
  std::vector<json> why;  // per offer index: its reasons, when it fits
  const json& offers = bundle.offers;
  why.resize(offers.size());
  for (std::size_t k = 0; k < offers.size(); ++k) {
    const json& o = offers[k];
    const Fields f(o, "offer", code::bad_bundle);
    if (now < day_ms(f, "from", false, INT64_MIN) || now > day_ms(f, "until", true, INT64_MAX)) continue;  // never expired
    double match = 0;
    json& reasons = why[k] = json::array();
    bool fits = true, targeted = false;
    // Each target the offer names must hold (any of its entries): categories, brands, segments.
    for (const char* key : kLists) {
      const json* list = f.opt_array(key);
      if (!list || list->empty()) continue;  // an empty list targets no one in particular
      targeted = true;
      bool any = false;
      for (const auto& v : *list) {
        const std::string& name = v.get_ref<const std::string&>();
        if (key[0] == 'c') {
          const std::uint32_t cid = c.category_id(normalize_category_path(name));
          if (cid == kNone || !profile) continue;
          const bool carted = std::any_of(cart.begin(), cart.end(), [&](auto i) { return c.in_category(c.item(i), cid); });
          const double like = std::max(s.category[cid], s.affinity[cid]);
          if (!carted && like <= 0) continue;
          match += carted ? 1 : like;
          reasons.push_back(carted ? json(Obj()("kind", "cart")("text", "Goes with your cart")("category", c.category(cid).path))
                                   : json(Obj()("kind", "category")("text", "You like " + std::string(c.category(cid).name))
                                              ("category", c.category(cid).path)));
        } else if (key[0] == 'b') {
          if (std::find(brands.begin(), brands.end(), name) == brands.end()) continue;
          match += 1;
          reasons.push_back(Obj()("kind", "brand")("text", "You like " + name)("brand", name));
        } else {
          if (std::find(member_of.begin(), member_of.end(), name) == member_of.end()) continue;
          match += 0.5;
          reasons.push_back(Obj()("kind", "segment")("text", "Chosen for shoppers like you")("segment", name));
        }
        any = true;
      }
      fits &= any;
    }
    if (auto min = f.opt_num("min_basket")) {
      targeted = true;
      fits &= basket >= *min;
      match += 0.5;
      if (basket >= *min) reasons.push_back(Obj()("kind", "basket")("text", "Your cart qualifies")("min_basket", *min));
    }
    if (!fits || (targeted && !profile)) continue;
    if (reasons.empty()) reasons.push_back(Obj()("kind", "offer")("text", "A current offer of this shop"));
    keep_best(top, limit, f.opt_num("priority").value_or(0) + match, static_cast<std::uint32_t>(k));
  }
  json items = json::array();
  for (const auto& [score, k] : top) {
    json j = offers[k];
    j["score"] = score;
    j["reasons"] = std::move(why[k]);
    items.push_back(std::move(j));
  }
  return Obj()("scenario", "offers")("personalized", profile != nullptr)("items", std::move(items));
}

}  // namespace emma
