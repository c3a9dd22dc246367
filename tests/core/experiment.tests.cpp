// A/B experiments (issue #12): the arm drawn on the device in the configured proportions,
// stable across reloads (also for a profile sealed before the experiment), the control arm
// answered without the profile, outcomes attributed within the window (both edges), the
// report's ε inside the daily budget, and withdrawal ending the experiment with what it kept.
#include <cmath>
#include <memory>

#include "core/bundle.hpp"
#include "core/experiment.hpp"
#include "test_engine.hpp"

using namespace emma_test;

namespace {

constexpr std::int64_t kDay = 86'400'000;
constexpr std::int64_t kEnd = 20454 * kDay;  // 2026-01-01T00:00Z, the first ms after "ends": "2025-12-31"
const std::vector<std::uint8_t> kKey(32, 9);

json experiment(double control_share, const char* id = "exp-1") {
  return {{"id", id}, {"control", control_share}, {"ends", "2025-12-31"}};
}

// A shop with an experiment.
void load_with(emma::Engine& e, const json& exp, const json& insights = json::object()) {
  json msg = {{"op", "configure"}, {"shop", "test-shop"}, {"experiment", exp}};
  if (!insights.empty()) msg["insights"] = insights;
  const auto a = call(e, msg);
  INFO(a.doc.dump());
  REQUIRE(a.ok());
  REQUIRE(call(e, {{"op", "catalog.load"}, {"catalog", small_catalog()}}).ok());
}

void act(emma::Engine& e, json event, std::int64_t now) {
  REQUIRE(call(e, {{"op", "track"}, {"event", std::move(event)}, {"now", now}}).ok());
}

json exported(emma::Engine& e, std::int64_t now = kNow) {
  return call(e, {{"op", "profile.export"}, {"now", now}}).result().at("experiment");
}

std::vector<std::uint8_t> seal(emma::Engine& e) {
  REQUIRE(call(e, {{"op", "vault.set_key"}, {"key_id", "k1"}}, kKey).ok());
  auto a = call(e, {{"op", "profile.seal"}, {"now", kNow}});
  REQUIRE(a.ok());
  return a.bytes;
}

Answer reopen(emma::Engine& e, const std::vector<std::uint8_t>& sealed, std::int64_t now = kNow + 1000) {
  REQUIRE(call(e, {{"op", "vault.set_key"}, {"key_id", "k1"}}, kKey).ok());
  return call(e, {{"op", "profile.open"}, {"now", now}}, sealed);
}

void grant_insights(emma::Engine& e) {
  REQUIRE(call(e, {{"op", "consent.grant"}, {"purpose", "insights"}, {"version", "2026-11"}, {"text", "Share noised statistics"},
                   {"now", kNow}}).ok());
}

}  // namespace

TEST_CASE("the arm is drawn in the configured proportions", "[experiment]") {
  // The engine's own draw (libsodium), 20,000 times: control at 10% has sd 42, so ±5 sd.
  emma::Experiment x;
  const json cfg = experiment(0.1);
  x.configure(emma::Fields(cfg, "experiment", "BAD_REQUEST"), 2);
  int control = 0;
  for (int i = 0; i < 20000; ++i) {
    x.reset();
    REQUIRE(x.enter(kNow));
    CHECK_FALSE(x.enter(kNow + 1));  // drawn once
    control += std::string(x.arm()) == "control";
  }
  CHECK(control > 2000 - 212);
  CHECK(control < 2000 + 212);
  // Through whole engines as a shop page starts them: both arms occur.
  int seen_control = 0, seen_personalized = 0;
  for (int i = 0; i < 200; ++i) {
    emma::Engine e;
    load_with(e, experiment(0.5));
    CHECK(exported(e).is_null());  // no consent: outside the experiment, nothing drawn
    grant(e);
    const std::string arm = exported(e).at("arm");
    (arm == "control" ? seen_control : seen_personalized)++;
  }
  CHECK(seen_control > 60);
  CHECK(seen_personalized > 60);
}

TEST_CASE("the arm is stable across reloads; an older profile keeps everything and gets one", "[experiment]") {
  std::vector<std::uint8_t> sealed;
  std::string arm;
  {
    emma::Engine e;
    load_with(e, experiment(0.5));
    grant(e);
    act(e, {{"type", "view"}, {"item", "22423"}}, kNow);
    arm = exported(e).at("arm");
    sealed = seal(e);
  }
  for (int i = 0; i < 20; ++i) {
    emma::Engine e;
    load_with(e, experiment(0.5));
    const auto o = reopen(e, sealed);
    REQUIRE(o.ok());
    CHECK(o.result().at("persist") == false);  // nothing was drawn anew
    CHECK(exported(e).at("arm") == arm);
  }
  SECTION("a profile sealed without any experiment") {
    emma::Engine old;
    load_small(old);
    grant(old);
    act(old, {{"type", "view"}, {"item", "22423"}}, kNow);
    const auto before = seal(old);
    emma::Engine e;
    load_with(e, experiment(0.5));
    const auto o = reopen(e, before);
    REQUIRE(o.ok());
    CHECK(o.result().at("events") == 1);        // nothing lost
    CHECK(o.result().at("persist") == true);    // sealed again with its new arm
    const json x = exported(e);
    REQUIRE(x.is_object());
    const std::string drawn = x.at("arm");
    const auto again = seal(e);
    emma::Engine e2;
    load_with(e2, experiment(0.5));
    REQUIRE(reopen(e2, again).ok());
    CHECK(exported(e2).at("arm") == drawn);
  }
  SECTION("another experiment id draws anew, with fresh counts") {
    emma::Engine e;
    load_with(e, experiment(0.5, "exp-2"));
    const auto o = reopen(e, sealed);
    CHECK(o.result().at("persist") == true);
    CHECK(exported(e).at("id") == "exp-2");
  }
  SECTION("after the end the arm is kept, nothing more is counted and control is personalized again") {
    emma::Engine e;
    load_with(e, experiment(0.9999999));
    grant(e);
    const std::int64_t end = kEnd;
    const json req = {{"scenario", "trending"}, {"limit", 2}};
    CHECK(call(e, {{"op", "recommend"}, {"request", req}, {"now", end - 1}}).result().at("personalized") == false);
    CHECK(exported(e).at("recommended").size() == 2);
    act(e, {{"type", "view"}, {"item", "22423"}}, end);
    CHECK(call(e, {{"op", "recommend"}, {"request", req}, {"now", end}}).result().at("personalized") == true);
    CHECK(exported(e).at("recommended").size() == 2);  // nothing kept after the end
    CHECK(exported(e).at("arm") == "control");
  }
}

TEST_CASE("a control shopper gets the answers of a shopper without a profile, reasons included", "[experiment][control]") {
  emma::Engine control, anonymous, personalized;
  load_with(control, experiment(0.9999999));
  load_with(personalized, experiment(0.0000001));
  load_small(anonymous);
  grant(control);
  grant(personalized);
  REQUIRE(exported(control).at("arm") == "control");
  REQUIRE(exported(personalized).at("arm") == "personalized");
  for (auto* e : {&control, &personalized, &anonymous}) {
    act(*e, {{"type", "view"}, {"item", "22720"}}, kNow);
    act(*e, {{"type", "add_to_cart"}, {"item", "22423"}}, kNow);
  }
  for (const char* scenario : {"for_you", "similar", "recently_viewed", "bought_together", "discover", "trending"}) {
    INFO(scenario);
    const json req = {{"scenario", scenario}, {"item", "22720"}, {"limit", 4}, {"seed", 3}};
    const auto c = call(control, {{"op", "recommend"}, {"request", req}, {"now", kNow}});
    const auto a = call(anonymous, {{"op", "recommend"}, {"request", req}, {"now", kNow}});
    REQUIRE(c.ok());
    CHECK(c.result() == a.result());  // items, scores and reasons
    CHECK(c.result().at("personalized") == false);
  }
  const json req = {{"scenario", "for_you"}, {"limit", 4}, {"seed", 3}};
  const auto p = call(personalized, {{"op", "recommend"}, {"request", req}, {"now", kNow}});
  CHECK(p.result().at("personalized") == true);
  CHECK(call(control, {{"op", "explain"}, {"item", "22423"}, {"now", kNow}}).result().at("personalized") == false);
}

TEST_CASE("outcomes count within the attribution window, both edges included", "[experiment][attribution]") {
  emma::Experiment x;
  const json cfg = experiment(0.5);
  x.configure(emma::Fields(cfg, "experiment", "BAD_REQUEST"), 2);
  REQUIRE(x.enter(kNow));
  x.record(json{"22423", "85099B"}, kNow);
  const std::int64_t window = 7 * kDay;
  auto outcomes = [&](std::vector<json> events, std::int64_t since = 0) {
    emma::Profile p;
    for (auto& ev : events) p.apply(emma::parse_event(ev, kNow + 30 * kDay), nullptr);
    return x.outcomes(p, nullptr, since);
  };
  auto view = [](const char* item, std::int64_t at) { return json{{"type", "view"}, {"item", item}, {"at", at}}; };
  auto buy = [](const char* item, std::int64_t at, double q = 1) { return json{{"type", "purchase"}, {"item", item}, {"at", at}, {"quantity", q}}; };
  CHECK(outcomes({view("22423", kNow)}).opened == 1);                // the first ms
  CHECK(outcomes({view("22423", kNow + window)}).opened == 1);       // the last ms
  CHECK(outcomes({view("22423", kNow + window + 1)}).opened == 0);   // 1 ms too late
  CHECK(outcomes({view("22423", kNow - 1)}).opened == 0);            // before it was recommended
  CHECK(outcomes({view("71053", kNow + 10)}).opened == 0);           // never recommended
  CHECK(outcomes({buy("85099B", kNow + window, 3)}).bought == 3);    // with its quantity
  CHECK(outcomes({buy("85099B", kNow + window + 1)}).bought == 0);
  CHECK(outcomes({buy("71053", kNow + 5)}).bought == 0);
  // Only acts after `since` (the previous report) count.
  CHECK(outcomes({buy("85099B", kNow + 5)}, kNow + 5).bought == 0);
  CHECK(outcomes({buy("85099B", kNow + 6)}, kNow + 5).bought == 1);
  // Recommended again later: the window runs from the latest time.
  x.record(json{"22423"}, kNow + 5 * kDay);
  CHECK(outcomes({view("22423", kNow + window + kDay)}).opened == 1);
}

TEST_CASE("recommended items survive a reload through the appended frames; a purchase days later is attributed", "[experiment][attribution]") {
  std::vector<std::uint8_t> sealed;
  std::string first;
  {
    emma::Engine e;
    load_with(e, experiment(0.5), {{"epsilon", 8}, {"daily_epsilon", 8}});
    grant(e);
    act(e, {{"type", "view"}, {"item", "22423"}}, kNow);
    sealed = seal(e);  // a snapshot
    first = ids_of(call(e, {{"op", "recommend"}, {"request", {{"scenario", "trending"}, {"limit", 2}}}, {"now", kNow + 5}}))[0];
    act(e, {{"type", "click"}, {"item", first}}, kNow + 6);
    REQUIRE(call(e, {{"op", "vault.set_key"}, {"key_id", "k1"}}, kKey).ok());
    const auto a = call(e, {{"op", "profile.seal"}, {"now", kNow + 7}});  // appends a frame
    REQUIRE(a.bytes.size() > sealed.size());
    sealed = a.bytes;
  }
  // Reports at ε 8 with 7.9 on the outcomes: each bit kept with probability 0.981, so 50
  // reloads of this profile tell a purchase of the recommended item from one of another item.
  json exp = experiment(0.5);
  exp["epsilon"] = 7.9;
  auto bought_bits = [&](const char* item) {
    int ones = 0;
    for (int i = 0; i < 50; ++i) {
      emma::Engine e;
      load_with(e, exp, {{"epsilon", 8}, {"daily_epsilon", 8}});
      REQUIRE(reopen(e, sealed, kNow + kDay).ok());
      REQUIRE(exported(e).at("recommended").size() == 2);
      grant_insights(e);
      act(e, {{"type", "purchase"}, {"item", item}}, kNow + 2 * kDay);  // on another page, two days later
      const auto r = call(e, {{"op", "insights.report"}, {"now", kNow + 2 * kDay}}).result().at("reports");
      REQUIRE(r.size() == 1);
      ones += r[0].at("bought").get<int>();
    }
    return ones;
  };
  CHECK(bought_bits(first.c_str()) >= 40);
  CHECK(bought_bits("37370") <= 10);  // not recommended (not in the top 2 trending of the small catalog)
}

TEST_CASE("outcomes are counted apart: impressions, clicks, carts, purchases with revenue; a reload keeps them", "[experiment][counts]") {
  std::vector<std::uint8_t> sealed;
  json counts;
  {
    emma::Engine e;
    load_with(e, experiment(0.5));
    grant(e);
    act(e, {{"type", "view"}, {"item", "22423"}}, kNow);
    sealed = seal(e);  // a snapshot; what follows is replayed from appended frames
    const json req = {{"scenario", "trending"}, {"limit", 2}};
    const auto ids = ids_of(call(e, {{"op", "recommend"}, {"request", req}, {"now", kNow + 1}}));
    REQUIRE(ids.size() == 2);
    call(e, {{"op", "recommend"}, {"request", req}, {"now", kNow + 2}});
    act(e, {{"type", "click"}, {"item", ids[0]}}, kNow + 3);
    act(e, {{"type", "view"}, {"item", ids[0]}}, kNow + 3);                                  // a view is not a click
    act(e, {{"type", "add_to_cart"}, {"item", ids[1]}, {"quantity", 2}}, kNow + 4);
    act(e, {{"type", "purchase"}, {"item", ids[1]}, {"quantity", 3}}, kNow + 5);             // 3 x 2.50
    act(e, {{"type", "purchase"}, {"item", ids[0]}}, kNow + 2 + 7 * kDay);                   // the window's last ms
    act(e, {{"type", "purchase"}, {"item", ids[0]}}, kNow + 2 + 7 * kDay + 1);               // 1 ms too late
    act(e, {{"type", "click"}, {"item", "37370"}}, kNow + 6);                                // never recommended
    act(e, {{"type", "purchase"}, {"item", "37370"}}, kNow + 6);
    counts = exported(e).at("counts");
    CHECK(counts == json{{"impressions", 2}, {"clicks", 1}, {"carts", 1}, {"purchases", 4}, {"revenue", 10}});
    REQUIRE(call(e, {{"op", "vault.set_key"}, {"key_id", "k1"}}, kKey).ok());
    const auto a = call(e, {{"op", "profile.seal"}, {"now", kNow + 8 * kDay}});
    REQUIRE(a.bytes.size() > sealed.size());  // appended frames, not a new snapshot
    sealed = a.bytes;
  }
  emma::Engine e;
  load_with(e, experiment(0.5));
  REQUIRE(reopen(e, sealed, kNow + 8 * kDay).ok());
  CHECK(exported(e, kNow + 8 * kDay).at("counts") == counts);
  // Withdrawal erases them with the arm (the test below); a control shopper counts alike.
}

TEST_CASE("the experiment's bits are paid from the report's ε: never more than the day allows", "[experiment][budget]") {
  emma::Engine e;
  load_with(e, experiment(0.5), {{"epsilon", 2}, {"daily_epsilon", 4}});
  grant(e);
  grant_insights(e);
  act(e, {{"type", "view"}, {"item", "22423"}}, kNow);
  auto a = call(e, {{"op", "insights.report"}, {"now", kNow}});
  REQUIRE(a.ok());
  const json& reports = a.result().at("reports");
  REQUIRE(reports.size() == 2);  // 2 + 2 = the day's 4
  CHECK(a.result().at("spent") == 4);
  for (const auto& r : reports) {
    CHECK(r.at("epsilon") == 2);  // the whole report, outcome bits included
    CHECK(r.at("outcome_epsilon") == 1);
    CHECK(r.at("experiment") == "exp-1");
    CHECK((r.at("arm") == "control" || r.at("arm") == "personalized"));
    CHECK((r.at("opened") == 0 || r.at("opened") == 1));
    CHECK((r.at("bought") == 0 || r.at("bought") == 1));
  }
  CHECK(call(e, {{"op", "insights.report"}, {"now", kNow + 1}}).result().at("reports").empty());
  CHECK(call(e, {{"op", "insights.report"}, {"now", kNow + kDay}}).result().at("reports").size() == 2);

  SECTION("an outcome ε that leaves the audience nothing is refused") {
    emma::Engine f;
    json exp = experiment(0.5);
    exp["epsilon"] = 2;
    const auto c = call(f, {{"op", "configure"}, {"shop", "s"}, {"insights", {{"epsilon", 2}}}, {"experiment", exp}});
    CHECK(c.code() == "BAD_REQUEST");
    CHECK(c.message().find("experiment.epsilon") == 0);
    exp["epsilon"] = 1.5;
    REQUIRE(call(f, {{"op", "configure"}, {"shop", "s"}, {"insights", {{"epsilon", 2}}}, {"experiment", exp}}).ok());
  }
  SECTION("after the experiment ends reports carry no experiment fields") {
    const std::int64_t after = kEnd;
    act(e, {{"type", "view"}, {"item", "22423"}}, after);
    const auto b = call(e, {{"op", "insights.report"}, {"now", after}});
    REQUIRE(b.result().at("reports").size() == 2);
    CHECK_FALSE(b.result().at("reports")[0].contains("arm"));
  }
}

TEST_CASE("the outcome bits are randomized response at outcome ε/2: the rate can be undone", "[experiment][budget]") {
  emma::Engine e;
  json exp = experiment(0.5);
  exp["ends"] = "2099-12-31";
  load_with(e, exp, {{"epsilon", 2}, {"daily_epsilon", 2}});
  grant(e);
  grant_insights(e);
  int ones = 0;
  const int n = 4000;
  for (int day = 0; day < n; ++day) {
    const std::int64_t t = kNow + day * kDay;
    const auto ids = ids_of(call(e, {{"op", "recommend"}, {"request", {{"scenario", "trending"}, {"limit", 1}}}, {"now", t}}));
    act(e, {{"type", "purchase"}, {"item", ids[0]}}, t);
    const auto r = call(e, {{"op", "insights.report"}, {"now", t}}).result().at("reports");
    REQUIRE(r.size() == 1);
    ones += r[0].at("bought").get<int>();
  }
  // Kept with k = e^0.5/(e^0.5+1) = 0.6225: a true 1 reads 1 that often (sd 0.0077 at n = 4000).
  const double k = std::exp(0.5) / (std::exp(0.5) + 1);
  CHECK(std::fabs(static_cast<double>(ones) / n - k) < 0.04);
}

TEST_CASE("withdrawing personalization ends the experiment and erases its counts", "[experiment][consent]") {
  emma::Engine e;
  load_with(e, experiment(0.5));
  grant(e);
  const auto ids = ids_of(call(e, {{"op", "recommend"}, {"request", {{"scenario", "trending"}, {"limit", 2}}}, {"now", kNow}}));
  act(e, {{"type", "click"}, {"item", ids[0]}}, kNow);
  REQUIRE(exported(e).at("recommended").size() == 2);
  REQUIRE(call(e, {{"op", "consent.withdraw"}, {"purpose", "personalization"}, {"now", kNow}}).ok());
  CHECK(exported(e).is_null());
  // Without consent nothing is drawn or counted.
  call(e, {{"op", "recommend"}, {"request", {{"scenario", "trending"}, {"limit", 2}}}, {"now", kNow}});
  CHECK(exported(e).is_null());
  // A new grant is a new shopper to the experiment: a new draw, nothing carried over.
  grant(e);
  CHECK(exported(e).at("recommended").empty());
}

TEST_CASE("experiment configuration is validated, naming the field", "[experiment]") {
  emma::Engine e;
  auto bad = [&](json exp, const char* where) {
    const auto a = call(e, {{"op", "configure"}, {"shop", "s"}, {"experiment", exp}});
    CHECK(a.code() == "BAD_REQUEST");
    INFO(a.message());
    CHECK(a.message().find(where) == 0);
  };
  json x = experiment(0.1);
  x["control"] = 1;
  bad(x, "experiment.control: must be the share");
  x.erase("control");
  bad(x, "experiment.control: is required");
  x = experiment(0.1);
  x["ends"] = "2025-13-01";
  bad(x, "experiment.ends");
  x = experiment(0.1);
  x["attribution_days"] = 0;
  bad(x, "experiment.attribution_days");
  x = experiment(0.1);
  x.erase("ends");
  bad(x, "experiment.ends");
  x = experiment(0.1);
  x.erase("id");
  bad(x, "experiment.id");
}

TEST_CASE("a backup and a sync copy carry the arm and the counts to another device", "[experiment][backup][sync]") {
  // The first device draws control (share ~1), the second personalized (share ~0) for the
  // same experiment id: what the second holds after taking in a copy is the first's.
  emma::Engine a;
  load_with(a, experiment(0.9999999));
  grant(a);
  REQUIRE(call(a, {{"op", "consent.grant"}, {"purpose", "sync"}, {"version", "1"}, {"text", "Sync"}, {"source", "api"}, {"now", kNow}}).ok());
  const auto ids = ids_of(call(a, {{"op", "recommend"}, {"request", {{"scenario", "trending"}, {"limit", 2}}}, {"now", kNow + 1}}));
  act(a, {{"type", "click"}, {"item", ids[0]}}, kNow + 2);
  const json mine = exported(a);
  REQUIRE(mine.at("arm") == "control");
  REQUIRE(mine.at("counts").at("clicks") == 1);
  auto second = [] {
    auto b = std::make_unique<emma::Engine>();
    load_with(*b, experiment(0.0000001));
    grant(*b);
    REQUIRE(call(*b, {{"op", "consent.grant"}, {"purpose", "sync"}, {"version", "1"}, {"text", "Sync"}, {"source", "api"}, {"now", kNow}}).ok());
    REQUIRE(exported(*b).at("arm") == "personalized");
    return b;
  };
  SECTION("a backup") {
    const json fast = {{"opslimit", 2}, {"memlimit_kib", 19 * 1024}};
    const auto bk = call(a, {{"op", "backup.seal"}, {"passphrase", "correct horse battery"}, {"kdf", fast}, {"now", kNow + 3}});
    REQUIRE(bk.ok());
    auto b = second();
    REQUIRE(call(*b, {{"op", "backup.open"}, {"passphrase", "correct horse battery"}, {"now", kNow + 4}}, bk.bytes).ok());
    CHECK(exported(*b) == mine);
  }
  SECTION("a sync copy") {
    const auto on = call(a, {{"op", "sync.enable"}, {"passphrase", "correct horse battery"}, {"now", kNow + 3}});
    REQUIRE(on.ok());
    const auto copy = call(a, {{"op", "sync.seal"}, {"now", kNow + 4}});
    REQUIRE(copy.ok());
    auto b = second();
    REQUIRE(call(*b, {{"op", "sync.join"}, {"handle", on.result().at("handle")}, {"passphrase", "correct horse battery"},
                      {"now", kNow + 5}}, copy.bytes).ok());
    CHECK(exported(*b) == mine);
  }
}

TEST_CASE("the experiment may come with the bundle's META; the configure option overrides it", "[experiment][bundle]") {
  auto bundle_with = [](const json& meta) {
    std::vector<emma::ItemInput> items(2);
    items[0].id = "a1";
    items[0].title = "A";
    items[1].id = "b1";
    items[1].title = "B";
    emma::ModelInput m;
    m.windows = {{"30d", 30}};
    m.popularity = {{2, 1}};
    return emma::write_bundle(items, m, meta);
  };
  const auto with_meta = bundle_with({{"tool", "emma-model"}, {"experiment", experiment(0.5, "from-bundle")}});
  {
    emma::Engine e;
    REQUIRE(call(e, {{"op", "configure"}, {"shop", "test-shop"}}).ok());
    REQUIRE(call(e, {{"op", "bundle.load"}}, with_meta).ok());
    grant(e);
    CHECK(exported(e).at("id") == "from-bundle");
  }
  {
    emma::Engine e;
    REQUIRE(call(e, {{"op", "configure"}, {"shop", "test-shop"}, {"experiment", experiment(0.5, "from-page")}}).ok());
    REQUIRE(call(e, {{"op", "bundle.load"}}, with_meta).ok());
    grant(e);
    CHECK(exported(e).at("id") == "from-page");
  }
  {
    // A bad one is the bundle's error, naming the field; the bundle loaded before stays.
    emma::Engine e;
    REQUIRE(call(e, {{"op", "configure"}, {"shop", "test-shop"}}).ok());
    REQUIRE(call(e, {{"op", "bundle.load"}}, bundle_with(json::object())).ok());
    const auto bad = call(e, {{"op", "bundle.load"}}, bundle_with({{"experiment", experiment(1.5, "x")}}));
    CHECK(bad.code() == "BAD_BUNDLE");
    CHECK(bad.message().find("bundle META.experiment.control") != std::string::npos);
    CHECK(call(e, {{"op", "recommend"}, {"request", {{"scenario", "trending"}, {"limit", 2}}}, {"now", kNow}}).ok());
    grant(e);
    CHECK(exported(e).is_null());
  }
}
