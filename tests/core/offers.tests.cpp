// Tailored offers and personal service (issue 15): variant conditions, offers (validity and
// matching), reorder timing and continue, on a small bundle with repurchase cycles and offers.
#include "test_engine.hpp"

#include "core/bundle.hpp"
#include "core/error.hpp"
#include "core/offers.hpp"

using namespace emma_test;

namespace {

constexpr std::int64_t kDay = 86'400'000;

json offers_json() {
  return json::parse(R"([
    {"id": "spring", "title": "Garden week", "text": "10% off tools", "url": "/garden", "categories": ["Garden"], "priority": 1},
    {"id": "all", "title": "Free delivery", "text": "This week only", "priority": 2},
    {"id": "old", "title": "Summer sale", "until": "2025-09-30", "priority": 9},
    {"id": "soon", "title": "Winter sale", "from": "2025-12-20", "priority": 9},
    {"id": "now", "title": "Black week", "from": "2025-11-20", "until": "2025-11-24", "priority": 0},
    {"id": "brand", "title": "Lumo days", "brands": ["Lumo"], "priority": 0.5},
    {"id": "big", "title": "Big basket", "min_basket": 50},
    {"id": "back", "title": "Welcome back", "segments": ["returning"]}
  ])");
}

std::vector<std::uint8_t> service_bundle(json offers = offers_json()) {
  std::vector<emma::ItemInput> items;
  auto add = [&](const char* id, std::vector<std::string> cat, const char* brand, double price) {
    emma::ItemInput it;
    it.id = id;
    it.title = std::string("Title ") + id;
    it.category_path = std::move(cat);
    it.brand = brand;
    it.price = price;
    items.push_back(std::move(it));
  };
  add("g1", {"Garden", "Tools"}, "Grow", 12);
  add("g2", {"Garden", "Seeds"}, "Grow", 3);
  add("k1", {"Kitchen", "Coffee"}, "Bean", 8);   // bought every 35 days by the shop's customers
  add("k2", {"Kitchen", "Tea"}, "Leaf", 5);      // no repurchase figure
  add("c1", {"Home", "Candles"}, "Lumo", 60);
  emma::ModelInput m;
  m.windows = {{"30d", 30}};
  m.popularity = {{5, 4, 3, 2, 1}};
  m.rebuy_days = {0, 0, 35, 0, 0};
  m.rebuy_share = {0, 0, 0.4f, 0, 0};
  return emma::with_offers(emma::write_bundle(items, m, json::object()), offers);
}

struct Shop {
  emma::Engine e;
  explicit Shop(std::vector<std::uint8_t> bundle = service_bundle()) {
    REQUIRE(call(e, {{"op", "configure"}, {"shop", "s"}}).ok());
    REQUIRE(call(e, {{"op", "bundle.load"}}, bundle).ok());
  }
  Answer ask(json request, std::int64_t now = kNow) { return call(e, {{"op", "recommend"}, {"request", request}, {"now", now}}); }
  std::vector<std::string> ids(json request, std::int64_t now = kNow) {
    auto a = ask(request, now);
    INFO(a.doc.dump());
    REQUIRE(a.ok());
    return ids_of(a);
  }
  json chosen(json variants, json extra = json::object()) {
    extra["scenario"] = "pick_variant";
    extra["variants"] = std::move(variants);
    auto a = ask(extra);
    INFO(a.doc.dump());
    REQUIRE(a.ok());
    return a.result().at("chosen");
  }
  void personalize() { grant(e); }
  void track(json event) { REQUIRE(call(e, {{"op", "track"}, {"event", event}, {"now", kNow}}).ok()); }
  void buy(const char* item, std::int64_t days_ago) { track({{"type", "purchase"}, {"item", item}, {"at", kNow - days_ago * kDay}}); }
};

using V = std::vector<std::string>;

const json kHero = json::parse(R"([
  {"id": "garden", "categories": ["Garden"]},
  {"id": "returning", "returning": true},
  {"id": "new", "returning": false},
  {"id": "xmas", "from": "2025-12-01", "until": "2025-12-24"}
])");

}  // namespace

TEST_CASE("variant conditions: categories, new and returning, dates, price sensitivity, own segments", "[offers][variant]") {
  Shop s;
  CHECK(s.chosen(kHero).is_null());  // without consent nothing personal fits: the page keeps its default
  // A date-only variant needs nothing personal.
  CHECK(s.ask({{"scenario", "pick_variant"}, {"variants", kHero}}, kNow + 10 * kDay).result().at("chosen") == "xmas");
  s.personalize();
  s.track({{"type", "view"}, {"item", "k2"}});
  CHECK(s.chosen(kHero) == "new");  // first seen today
  Shop r;
  r.personalize();
  r.track({{"type", "view"}, {"item", "k2"}, {"at", kNow - 30 * kDay}});
  CHECK(r.chosen(kHero) == "returning");
  Shop g;
  g.personalize();
  g.track({{"type", "view"}, {"item", "g1"}, {"at", kNow - 30 * kDay}});
  g.track({{"type", "view"}, {"item", "g2"}});
  const auto a = g.ask({{"scenario", "pick_variant"}, {"variants", kHero}});
  CHECK(a.result().at("chosen") == "garden");  // a liked category outscores being returning
  CHECK(a.result().at("variants")[0].at("reasons")[0].at("text") == "You like Garden");
  CHECK(a.result().at("variants")[2].at("fits") == false);
  // Price sensitivity: g2 (3) is at the shop's lower prices.
  CHECK(g.chosen(json::parse(R"([{"id": "cheap", "price_sensitive": true}])")).is_null());
  Shop p;
  p.personalize();
  p.track({{"type", "view"}, {"item", "g2"}});
  CHECK(p.chosen(json::parse(R"([{"id": "full", "price_sensitive": false}, {"id": "cheap", "price_sensitive": true}])")) == "cheap");
  // The shop's own segment definitions.
  const json defs = json::parse(R"([{"id": "gardener", "when": {"category": "Garden", "min_affinity": 0.3}}])");
  const json v = json::parse(R"([{"id": "plain"}, {"id": "for-gardeners", "segments": ["gardener"]}])");
  CHECK(g.chosen(v, {{"definitions", defs}}) == "for-gardeners");
  CHECK(s.chosen(v, {{"definitions", defs}}) == "plain");
  // Conditions are all required: a Garden lover who is new does not get "returning and Garden".
  CHECK(p.chosen(json::parse(R"([{"id": "both", "categories": ["Garden"], "returning": true}])")).is_null());
  // Mistakes name the field.
  auto bad = s.ask({{"scenario", "pick_variant"}, {"variants", json::parse(R"([{"id": "x", "from": "1.12.2025"}])")}});
  CHECK(bad.code() == "BAD_REQUEST");
  CHECK(bad.message().find("request.variants[0].from") != std::string::npos);
}

TEST_CASE("offers: never expired, general ones without consent, matched ones with reasons", "[offers]") {
  Shop s;
  // Without consent: the untargeted offers valid today, by priority.
  CHECK(s.ids({{"scenario", "offers"}}) == V{"all", "now"});
  const auto a = s.ask({{"scenario", "offers"}});
  CHECK(a.result().at("personalized") == false);
  CHECK(a.result().at("items")[0].at("text") == "This week only");
  // Expired and future offers never appear, whatever their priority; "now" ends today.
  CHECK(s.ids({{"scenario", "offers"}}, kNow + 1 * kDay) == V{"all"});
  CHECK(s.ids({{"scenario", "offers"}}, kNow + 30 * kDay) == V{"soon", "all"});
  s.personalize();
  CHECK(s.ids({{"scenario", "offers"}}) == V{"all", "now"});  // nothing known yet: nothing targeted fits
  s.track({{"type", "view"}, {"item", "g1"}});
  const auto g = s.ask({{"scenario", "offers"}});
  // priority 1 + Garden's interest (0.5: the view went mostly to its leaf, Garden/Tools) below 2
  CHECK(ids_of(g) == V{"all", "spring", "now"});
  CHECK(g.result().at("items")[1].at("reasons")[0].at("text") == "You like Garden");
  CHECK(g.result().at("items")[0].at("reasons")[0].at("kind") == "offer");
  s.track({{"type", "view"}, {"item", "g2"}});
  CHECK(s.ids({{"scenario", "offers"}}) == V{"spring", "all", "now"});  // Garden now the top interest (1): 1 + 1 ties with 2, the shop's order decides
  s.track({{"type", "add_to_cart"}, {"item", "c1"}});
  const auto c = s.ids({{"scenario", "offers"}, {"limit", 10}});
  CHECK(std::find(c.begin(), c.end(), "brand") != c.end());  // the cart's brand
  CHECK(std::find(c.begin(), c.end(), "big") != c.end());    // 60 in the cart, at least 50 asked
  CHECK(std::find(c.begin(), c.end(), "back") == c.end());   // not returning
  CHECK(s.ids({{"scenario", "offers"}, {"limit", 1}}).size() == 1);
}

TEST_CASE("offers in the bundle: checked when written and when read", "[offers][bundle]") {
  auto bad = [](const char* text) {
    try {
      service_bundle(json::parse(text));
    } catch (const emma::Error& e) {
      return std::string(e.code()) + ": " + e.what();
    }
    return std::string("accepted");
  };
  CHECK(bad(R"([{"title": "no id"}])").find("offers[0].id") != std::string::npos);
  CHECK(bad(R"([{"id": "a", "title": "t", "until": "2025-02-30x"}])").find("offers[0].until") != std::string::npos);
  // Days past the month's end are refused, not rolled over; leap days only in leap years.
  CHECK(bad(R"([{"id": "a", "title": "t", "until": "2025-02-29"}])").find("offers[0].until") != std::string::npos);
  CHECK(bad(R"([{"id": "a", "title": "t", "from": "2025-04-31"}])").find("offers[0].from") != std::string::npos);
  CHECK(bad(R"([{"id": "a", "title": "t", "from": "2024-02-29", "until": "2024-12-31"}])") == "accepted");
  CHECK(bad(R"([{"id": "a", "title": "t", "from": "2100-02-29"}])").find("offers[0].from") != std::string::npos);
  CHECK(bad(R"([{"id": "a", "title": "t", "from": "2025-03-02", "until": "2025-03-01"}])").find("is before from") != std::string::npos);
  CHECK(bad(R"([{"id": "a", "title": "t"}, {"id": "a", "title": "u"}])").find("appears twice") != std::string::npos);
  CHECK(bad(R"([{"id": "a", "title": "t", "min_basket": -1}])").find("min_basket") != std::string::npos);
  // A bundle whose OFFR section is damaged JSON is refused with the section's name.
  auto bytes = emma::write_bundle({}, {}, json::object());
  std::vector<std::pair<std::string, std::string>> sections;
  for (const auto& sec : emma::read_container(bytes.data(), bytes.size())) sections.emplace_back(sec.tag, std::string(sec.payload));
  sections.emplace_back("OFFR", R"([{"id": 5}])");
  emma::Engine e;
  REQUIRE(call(e, {{"op", "configure"}, {"shop", "s"}}).ok());
  const auto a = call(e, {{"op", "bundle.load"}}, emma::write_container(sections));
  CHECK(a.code() == "BAD_BUNDLE");
  CHECK(a.message().find("OFFR") != std::string::npos);
  // An old bundle without offers answers an empty list.
  Shop plain(emma::write_bundle({}, {}, json::object()));
  CHECK(plain.ids({{"scenario", "offers"}}).empty());
}

TEST_CASE("reorder: regular items that are due, from the shopper's own cycle or the shop's", "[offers][reorder]") {
  Shop s;
  CHECK(s.ids({{"scenario", "reorder"}}).empty());  // without consent: nothing to say
  s.personalize();
  CHECK(s.ids({{"scenario", "reorder"}}).empty());  // no purchase history
  s.buy("k2", 40);
  CHECK(s.ids({{"scenario", "reorder"}}).empty());  // one purchase and no shop cycle: not a regular item
  s.buy("k1", 5);
  CHECK(s.ids({{"scenario", "reorder"}}).empty());  // the shop's 35-day cycle: 5 days ago is before it (not due)
  CHECK(s.ids({{"scenario", "reorder"}}, kNow + 10 * kDay) == V{"k1"});  // 15 of 35 days: due enough
  const auto one = s.ask({{"scenario", "reorder"}}, kNow + 37 * kDay);
  const json& why = one.result().at("items")[0].at("reasons")[0];
  CHECK(why.at("kind") == "reorder");
  CHECK(why.at("basis") == "shop");
  CHECK(why.at("text") == "Customers usually reorder this about every 5 weeks; you bought it 6 weeks ago");
  // Own rhythm: g2 every 14 days, last 15 days ago: past its cycle, listed; k1 still before its own.
  s.buy("g2", 43);
  s.buy("g2", 29);
  s.buy("g2", 15);
  const auto own = s.ask({{"scenario", "reorder"}});
  CHECK(ids_of(own) == V{"g2"});
  CHECK(own.result().at("items")[0].at("reasons")[0].at("every_days") == 14);
  CHECK(own.result().at("items")[0].at("reasons")[0].at("text") == "You usually reorder this about every 2 weeks; last time 2 weeks ago");
  // Ten days later both are due; three orders outrank one.
  CHECK(s.ids({{"scenario", "reorder"}}, kNow + 10 * kDay) == V{"g2", "k1"});
  // Bought again two days ago: before its own cycle, gone.
  s.buy("g2", 2);
  CHECK(s.ids({{"scenario", "reorder"}}).empty());
  // Two lines of one day are one order, not a cycle of zero days.
  Shop d;
  d.personalize();
  d.buy("k2", 10);
  d.track({{"type", "purchase"}, {"item", "k2"}, {"at", kNow - 10 * kDay + 3600000}});
  CHECK(d.ids({{"scenario", "reorder"}}).empty());
  // Orders past retention are kept as undated counts: still a regular item.
  Shop f;
  f.personalize();
  f.buy("g1", 300);
  f.buy("g1", 250);
  const auto old = f.ask({{"scenario", "reorder"}});
  REQUIRE(ids_of(old) == V{"g1"});
  CHECK(old.result().at("items")[0].at("reasons")[0].at("basis") == "history");
}

TEST_CASE("continue: the cart, then the last visit's views not bought", "[offers][continue]") {
  Shop s;
  CHECK(s.ids({{"scenario", "continue"}}).empty());
  s.personalize();
  s.track({{"type", "view"}, {"item", "k2"}, {"at", kNow - 5 * kDay}});            // an older visit
  s.track({{"type", "view"}, {"item", "g1"}, {"at", kNow - 2 * kDay}});            // the last visit ...
  s.track({{"type", "view"}, {"item", "g2"}, {"at", kNow - 2 * kDay + 600000}});
  s.track({{"type", "view"}, {"item", "k1"}, {"at", kNow - 2 * kDay + 1200000}});
  s.buy("k1", 1);                                                                  // ... k1 bought since
  s.track({{"type", "add_to_cart"}, {"item", "c1"}, {"at", kNow - 2 * kDay}});
  const auto a = s.ask({{"scenario", "continue"}});
  CHECK(ids_of(a) == V{"c1", "g2", "g1"});
  CHECK(a.result().at("items")[0].at("reasons")[0].at("kind") == "in_cart");
  CHECK(a.result().at("items")[1].at("reasons")[0].at("kind") == "viewed");
}
