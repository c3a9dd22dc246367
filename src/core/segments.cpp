#include "segments.hpp"

#include <algorithm>
#include <map>
#include <vector>

#include "error.hpp"
#include "json_build.hpp"
#include "offers.hpp"

namespace emma {
namespace {

constexpr std::int64_t kDayMs = 86'400'000;


struct Facts {
  double median_price = -1;  // of what the shopper bought or looked at
  std::string top_brand;
  double top_brand_share = 0;
  std::size_t branded = 0;
  std::size_t purchases = 0;
};

Facts facts_of(const Catalog& c, const Profile& p) {
  Facts f;
  std::vector<double> prices;
  std::map<std::string, std::size_t> brands;
  auto note = [&](const std::string& id) {
    if (const Item* it = c.find(id)) {
      if (it->price >= 0) prices.push_back(it->price);
      if (!it->brand.empty()) {
        ++brands[std::string(it->brand)];
        ++f.branded;
      }
    }
  };
  for (const auto& [id, s] : p.items()) note(id);
  for (const auto& line : p.purchases()) note(line.item);
  f.purchases = p.purchases().size();
  if (!prices.empty()) {
    std::nth_element(prices.begin(), prices.begin() + prices.size() / 2, prices.end());
    f.median_price = prices[prices.size() / 2];
  }
  for (const auto& [b, n] : brands) {
    const double share = static_cast<double>(n) / static_cast<double>(f.branded);
    if (share > f.top_brand_share) {
      f.top_brand_share = share;
      f.top_brand = b;
    }
  }
  return f;
}

// The shop's 35th price percentile (-1: no prices): below it, prices are among its lower ones.
double lower_prices(const Catalog& c) {
  std::vector<double> all;
  for (const auto& it : c.items()) {
    if (it.price >= 0) all.push_back(it.price);
  }
  if (all.empty()) return -1;
  const std::size_t k = all.size() * 35 / 100;
  std::nth_element(all.begin(), all.begin() + k, all.end());
  return all[k];
}

}  // namespace

Taste taste_of(const Catalog& c, const Profile& p) {
  const Facts f = facts_of(c, p);
  return {f.branded >= 2 && f.top_brand_share >= 0.5 ? f.top_brand : std::string(), f.median_price};
}

json compute_segments(const Bundle& bundle, const Profile* profile, const json& definitions, std::int64_t now) {
  const Catalog& c = bundle.catalog;
  json out = json::array();
  auto add = [&](const std::string& id, bool member, const std::string& why) {
    out.push_back(Obj()("id", id)("member", member)("why", why));
  };
  if (!profile) {
    // Without consent Emma knows nothing about the shopper, and says so.
    for (const char* id : {"new", "returning", "high_intent", "price_sensitive", "brand_loyal"}) add(id, false, "not personalized");
    return Obj()("scenario", "segments")("personalized", false)("items", json::array())("segments", std::move(out));
  }
  const Facts f = facts_of(c, *profile);
  const bool returning = profile->first_seen() > 0 && now - profile->first_seen() > kDayMs;
  add("new", !returning, returning ? "first seen over a day ago" : "first seen within the last day");
  add("returning", returning, returning ? "first seen over a day ago" : "first seen within the last day");
  bool recent_cart = !profile->cart().empty();
  add("high_intent", recent_cart, recent_cart ? "has items in the cart" : "no items in the cart");
  const double p35 = lower_prices(c);
  const bool price_sensitive = f.median_price >= 0 && p35 >= 0 && f.median_price <= p35;
  add("price_sensitive", price_sensitive, "typical price of items looked at or bought vs. the shop's lower prices");
  const bool loyal = f.branded >= 5 && f.top_brand_share >= 0.6;
  add("brand_loyal", loyal, loyal ? "mostly " + f.top_brand : "no dominant brand");

  if (!definitions.is_null()) {
    if (!definitions.is_array()) throw Error(code::bad_request, "request.definitions: expected an array of segment definitions");
    const PersonalSignals s = personal_signals(bundle, *profile, now);
    for (std::size_t k = 0; k < definitions.size(); ++k) {
      const std::string path = "request.definitions[" + std::to_string(k) + "]";
      Fields d(definitions[k], path, code::bad_request);
      const std::string id = d.id("id", 64);
      const json* when = d.opt_object("when");
      if (!when) d.fail("when", "is required (the conditions of the segment)");
      Fields w(*when, path + ".when", code::bad_request);
      bool member = true;
      if (auto cat = w.opt_str("category", 1024)) {
        const std::uint32_t cid = c.category_id(normalize_category_path(*cat));
        const double aff = cid == kNone ? 0 : s.category[cid];
        member &= aff >= w.opt_num("min_affinity").value_or(0.5);
      }
      if (auto brand = w.opt_str("brand", 1024)) member &= f.top_brand == *brand && f.top_brand_share >= 0.5;
      if (auto maxp = w.opt_num("max_median_price")) member &= f.median_price >= 0 && f.median_price <= *maxp;
      if (auto minp = w.opt_int("min_purchases", 0, 1'000'000)) member &= f.purchases >= static_cast<std::size_t>(*minp);
      if (auto in_cart = w.opt_bool("in_cart")) member &= (!profile->cart().empty()) == *in_cart;
      add(id, member, "custom definition");
    }
  }
  return Obj()("scenario", "segments")("personalized", true)("items", json::array())("segments", std::move(out));
}

json pick_variant(const Bundle& bundle, const Profile* profile, const json& variants, const json& definitions, std::int64_t now) {
  if (!variants.is_array() || variants.empty()) {
    throw Error(code::bad_request, "request.variants: expected a non-empty array of {id, categories, segments}");
  }
  if (variants.size() > 100) throw Error(code::bad_request, "request.variants: at most 100 variants");
  const Catalog& c = bundle.catalog;
  std::vector<std::string> member_of;
  PersonalSignals s;
  if (profile) {
    s = personal_signals(bundle, *profile, now);
    const json segments = compute_segments(bundle, profile, definitions, now);  // kept alive for the loop
    for (const auto& seg : segments.at("segments")) {
      if (seg.at("member").get<bool>()) member_of.push_back(seg.at("id").get<std::string>());
    }
  }
  auto member = [&](const std::string& seg) { return std::find(member_of.begin(), member_of.end(), seg) != member_of.end(); };
  json ranked = json::array();
  std::size_t best = variants.size();
  double best_score = -1;
  for (std::size_t k = 0; k < variants.size(); ++k) {
    const std::string path = "request.variants[" + std::to_string(k) + "]";
    Fields v(variants[k], path, code::bad_request);
    const std::string id = v.id("id", 128);
    double score = 0;
    json reasons = json::array();
    // A variant fits when every condition it names holds: one of its categories is liked,
    // one of its segments is the shopper's, the flags match, today is in its dates.
    bool fits = true;
    if (const json* cats = v.opt_array("categories")) {
      bool any = false;
      for (const auto& cat : *cats) {
        if (!cat.is_string()) v.fail("categories", "expected strings");
        const std::uint32_t cid = c.category_id(normalize_category_path(cat.get<std::string>()));
        if (profile && cid != kNone && s.category[cid] > 0) {
          any = true;
          score += s.category[cid];
          reasons.push_back(Obj()("kind", "category")("text", "You like " + std::string(c.category(cid).name))("category", c.category(cid).path));
        }
      }
      fits &= any;
    }
    if (const json* segs = v.opt_array("segments")) {
      bool any = false;
      for (const auto& seg : *segs) {
        if (!seg.is_string()) v.fail("segments", "expected strings");
        if (member(seg.get<std::string>())) {
          any = true;
          score += 0.5;
          reasons.push_back(Obj()("kind", "segment")("text", "Chosen for shoppers like you")("segment", seg));
        }
      }
      fits &= any;
    }
    for (const char* flag : {"returning", "price_sensitive"}) {
      if (auto want = v.opt_bool(flag)) {
        const bool holds = profile && member(flag) == *want;
        fits &= holds;
        if (holds) {
          const std::string seg = *want ? flag : flag[0] == 'r' ? "new" : "not_price_sensitive";
          score += 0.5;
          reasons.push_back(Obj()("kind", "segment")("text", "Chosen for shoppers like you")("segment", seg));
        }
      }
    }
    if (v.has("from") || v.has("until")) {
      const bool today = now >= day_ms(v, "from", false, INT64_MIN) && now <= day_ms(v, "until", true, INT64_MAX);
      fits &= today;
      if (today) reasons.push_back(Obj()("kind", "date")("text", "For a limited time"));
    }
    if (reasons.empty()) reasons.push_back(Obj()("kind", "default")("text", "The shop's default choice"));
    if (fits && score > best_score) {
      best_score = score;
      best = k;
    }
    ranked.push_back(Obj()("id", id)("score", score)("fits", fits)("reasons", std::move(reasons)));
  }
  // Nothing fits: no variant (the page keeps its own content).
  json chosen = best < variants.size() ? ranked[best].at("id") : json();
  return Obj()("scenario", "pick_variant")("personalized", profile != nullptr)("chosen", std::move(chosen))("variants", std::move(ranked))
      ("items", json::array());
}

}  // namespace emma
