#include "test_engine.hpp"

using namespace emma_test;

// The profile's dated lists (purchase lines oldest first, recent views and searches newest
// first): what the export shows after baskets past retention are folded, several at once,
// and lines arrive out of order.
TEST_CASE("purchase lines, views and searches keep their order; old baskets fold together", "[engine][profile]") {
  emma::Engine e;
  REQUIRE(call(e, {{"op", "configure"}, {"shop", "s"}, {"retention", {{"raw_event_days", 30}}}}).ok());
  REQUIRE(call(e, {{"op", "catalog.load"}, {"catalog", small_catalog()}}).ok());
  grant(e);
  const std::int64_t day = 86'400'000;
  json events = json::array();
  auto buy = [&](const char* item, std::int64_t at) { events.push_back({{"type", "purchase"}, {"item", item}, {"at", at}}); };
  buy("20725", kNow - 2 * day);  // the newest basket first: lines are kept in time order
  buy("85099B", kNow - 2 * day);
  buy("71053", kNow - 50 * day);  // three baskets past the 30 days, one with the same item twice
  buy("71053", kNow - 50 * day);
  buy("22423", kNow - 50 * day);
  buy("71053", kNow - 40 * day);
  buy("22720", kNow - 35 * day);
  buy("37370", kNow - 3 * day);
  for (const char* item : {"85123A", "71053", "85123A"}) events.push_back({{"type", "view"}, {"item", item}, {"at", kNow - day}});
  for (int k = 0; k < 25; ++k) events.push_back({{"type", "search"}, {"query", "q" + std::to_string(k)}, {"at", kNow - 1000 + k}});
  REQUIRE(call(e, {{"op", "track"}, {"now", kNow}, {"events", events}}).ok());
  const auto ex = call(e, {{"op", "profile.export"}, {"now", kNow}}).result();
  std::vector<std::string> lines;
  for (const auto& p : ex.at("purchases")) lines.push_back(p.at("item").get<std::string>() + "@" + std::to_string((kNow - p.at("at").get<std::int64_t>()) / day));
  CHECK(lines == std::vector<std::string>{"37370@3", "20725@2", "85099B@2"});
  CHECK(ex.at("purchases_counted") == json({{"71053", 2}, {"22423", 1}, {"22720", 1}}));  // an item counts once per basket
  std::vector<std::string> viewed;
  for (const auto& r : ex.at("recently_viewed")) viewed.push_back(r.at("item").get<std::string>());
  CHECK(viewed == std::vector<std::string>{"85123A", "71053"});  // a second view moves it to the front
  const auto& searches = ex.at("searches");
  REQUIRE(searches.size() == 20);  // the newest 20
  CHECK(searches.front().at("query") == "q24");
  CHECK(searches.back().at("query") == "q5");
}

// Old history tracked line by line (an import, an evaluation replaying purchases one event a
// call) folds as the same history tracked at once: a basket's second line of an item, arriving
// after the basket was folded, does not count the item again.
TEST_CASE("old baskets tracked line by line fold as when tracked at once", "[engine][profile]") {
  const std::int64_t day = 86'400'000;
  json events = json::array();
  auto buy = [&](const char* item, std::int64_t at) { events.push_back({{"type", "purchase"}, {"item", item}, {"at", at}}); };
  buy("71053", kNow - 50 * day);  // one basket past the 30 days with the same item on three lines
  buy("22423", kNow - 50 * day);
  buy("71053", kNow - 50 * day);
  buy("71053", kNow - 50 * day);
  buy("71053", kNow - 40 * day);  // another basket
  buy("22720", kNow - 2 * day);   // a recent one, kept as lines
  auto counted = [&](bool one_by_one) {
    emma::Engine e;
    REQUIRE(call(e, {{"op", "configure"}, {"shop", "s"}, {"retention", {{"raw_event_days", 30}}}}).ok());
    REQUIRE(call(e, {{"op", "catalog.load"}, {"catalog", small_catalog()}}).ok());
    grant(e);
    if (one_by_one) {
      for (const auto& ev : events) REQUIRE(call(e, {{"op", "track"}, {"now", kNow}, {"event", ev}}).ok());
    } else {
      REQUIRE(call(e, {{"op", "track"}, {"now", kNow}, {"events", events}}).ok());
    }
    return call(e, {{"op", "profile.export"}, {"now", kNow}}).result().at("purchases_counted");
  };
  const json at_once = counted(false);
  CHECK(at_once == json({{"71053", 2}, {"22423", 1}}));
  CHECK(counted(true) == at_once);
}
