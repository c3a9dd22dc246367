#include "offers.hpp"

#include <algorithm>

#include "error.hpp"
#include "json_build.hpp"
#include "personal.hpp"
#include "segments.hpp"

namespace emma {
namespace {

constexpr std::size_t kMaxOffers = 1000;
constexpr std::int64_t kDayMs = 86'400'000;
constexpr const char* kLists[] = {"categories", "brands", "segments"};

// Days since 1970-01-01 of a civil date (H. Hinnant's days_from_civil).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

std::vector<std::string> strings_of(const json& a) {
  std::vector<std::string> out;
  if (a.is_array()) {
    for (const auto& v : a) out.push_back(v.get<std::string>());
  }
  return out;
}

}  // namespace

std::int64_t day_ms(const Fields& f, const char* key, bool end, std::int64_t fallback) {
  const auto s = f.opt_str(key, 10);
  if (!s) return fallback;
  unsigned y = 0, m = 0, d = 0;
  const bool shape = s->size() == 10 && (*s)[4] == '-' && (*s)[7] == '-' &&
                     std::all_of(s->begin(), s->end(), [](char ch) { return ch == '-' || (ch >= '0' && ch <= '9'); });
  if (shape) {
    y = static_cast<unsigned>(std::stoi(s->substr(0, 4)));
    m = static_cast<unsigned>(std::stoi(s->substr(5, 2)));
    d = static_cast<unsigned>(std::stoi(s->substr(8, 2)));
  }
  if (!shape || m < 1 || m > 12 || d < 1 || d > 31) f.fail(key, "expected a date YYYY-MM-DD, got \"" + *s + "\"");
  return (days_from_civil(y, m, d) + (end ? 1 : 0)) * kDayMs - (end ? 1 : 0);
}

json check_offers(const json& offers, const std::string& path, const char* error_code) {
  if (!offers.is_array()) throw Error(error_code, path + ": expected an array of offers");
  if (offers.size() > kMaxOffers) throw Error(error_code, path + ": at most " + std::to_string(kMaxOffers) + " offers");
  json out = json::array();
  for (std::size_t k = 0; k < offers.size(); ++k) {
    Fields f(offers[k], path + "[" + std::to_string(k) + "]", error_code);
    json o = Obj()("id", f.id("id", 128))("title", f.str("title", 256))("priority", f.opt_num("priority").value_or(0));
    for (const char* key : {"text", "url", "image", "from", "until"}) {
      if (auto v = f.opt_str(key, 2048)) o[key] = *v;
    }
    const std::int64_t from = day_ms(f, "from", false, INT64_MIN), until = day_ms(f, "until", true, INT64_MAX);
    if (from > until) f.fail("until", "is before from");
    for (const char* key : kLists) {
      if (const json* a = f.opt_array(key)) {
        for (const auto& v : *a) {
          if (!v.is_string() || v.get_ref<const std::string&>().empty()) f.fail(key, "expected an array of names");
        }
        if (!a->empty()) o[key] = *a;
      }
    }
    if (auto min = f.opt_num("min_basket")) {
      if (*min < 0) f.fail("min_basket", "must not be negative");
      o["min_basket"] = *min;
    }
    for (const auto& prev : out) {
      if (prev.at("id") == o.at("id")) f.fail("id", "\"" + o.at("id").get<std::string>() + "\" appears twice");
    }
    out.push_back(std::move(o));
  }
  return out;
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
  std::vector<std::string> member_of, cart_brands;
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

  struct Fit {
    double score;
    std::size_t k;
    json reasons;
  };
  std::vector<Fit> fits;
  const json& offers = bundle.offers;
  for (std::size_t k = 0; k < offers.size(); ++k) {
    const json& o = offers[k];
    const Fields f(o, "offer", code::bad_bundle);
    if (now < day_ms(f, "from", false, INT64_MIN) || now > day_ms(f, "until", true, INT64_MAX)) continue;  // never expired
    const bool targeted = o.contains("categories") || o.contains("brands") || o.contains("segments") || o.contains("min_basket");
    if (targeted && !profile) continue;
    double match = 0;
    json reasons = json::array();
    bool fits_all = true;
    if (o.contains("categories")) {
      bool any = false;
      for (const auto& path : strings_of(o["categories"])) {
        const std::uint32_t cid = c.category_id(normalize_category_path(path));
        if (cid == kNone) continue;
        const bool carted = std::any_of(cart.begin(), cart.end(), [&](auto i) { return c.in_category(c.item(i), cid); });
        const double like = std::max(s.category[cid], s.affinity[cid]);
        if (!carted && like <= 0) continue;
        any = true;
        match += carted ? 1 : like;
        reasons.push_back(carted ? json(Obj()("kind", "cart")("text", "Goes with your cart")("category", c.category(cid).path))
                                 : json(Obj()("kind", "category")("text", "You like " + std::string(c.category(cid).name))
                                            ("category", c.category(cid).path)));
      }
      fits_all &= any;
    }
    if (o.contains("brands")) {
      bool any = false;
      for (const auto& b : strings_of(o["brands"])) {
        if (std::find(brands.begin(), brands.end(), b) == brands.end()) continue;
        any = true;
        match += 1;
        reasons.push_back(Obj()("kind", "brand")("text", "You like " + b)("brand", b));
      }
      fits_all &= any;
    }
    if (o.contains("segments")) {
      bool any = false;
      for (const auto& seg : strings_of(o["segments"])) {
        if (std::find(member_of.begin(), member_of.end(), seg) == member_of.end()) continue;
        any = true;
        match += 0.5;
        reasons.push_back(Obj()("kind", "segment")("text", "Chosen for shoppers like you")("segment", seg));
      }
      fits_all &= any;
    }
    if (o.contains("min_basket")) {
      const bool enough = basket >= o["min_basket"].get<double>();
      if (enough) reasons.push_back(Obj()("kind", "basket")("text", "Your cart qualifies")("min_basket", o["min_basket"]));
      match += 0.5;
      fits_all &= enough;
    }
    if (!fits_all) continue;
    if (reasons.empty()) reasons.push_back(Obj()("kind", "offer")("text", "A current offer of this shop"));
    fits.push_back({o.at("priority").get<double>() + match, k, std::move(reasons)});
  }
  std::stable_sort(fits.begin(), fits.end(), [](const Fit& a, const Fit& b) { return a.score > b.score; });
  json items = json::array();
  for (auto& fit : fits) {
    if (items.size() >= limit) break;
    json j = offers[fit.k];
    j["score"] = fit.score;
    j["reasons"] = std::move(fit.reasons);
    items.push_back(std::move(j));
  }
  return Obj()("scenario", "offers")("personalized", profile != nullptr)("items", std::move(items));
}

}  // namespace emma
