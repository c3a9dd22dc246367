// The `insights` purpose: gating by consent, the daily ε budget (also across a reload), the
// exact shape of a report, and that the noise can be undone on average (the collector's
// estimators are unbiased).
#include <cmath>
#include <regex>
#include <set>

#include <sodium.h>

#include "core/insights.hpp"
#include "test_engine.hpp"

using namespace emma_test;

namespace {

constexpr std::int64_t kDay = 86'400'000;

void grant_insights(emma::Engine& e, std::int64_t now = kNow) {
  REQUIRE(call(e, {{"op", "consent.grant"}, {"purpose", "insights"}, {"version", "2026-11"},
                   {"text", "Share noised statistics"}, {"now", now}})
              .ok());
}

void view(emma::Engine& e, const char* item, std::int64_t now = kNow) {
  REQUIRE(call(e, {{"op", "track"}, {"event", {{"type", "view"}, {"item", item}}}, {"now", now}}).ok());
}

Answer report(emma::Engine& e, std::int64_t now = kNow) { return call(e, {{"op", "insights.report"}, {"now", now}}); }

}  // namespace

TEST_CASE("the domain is the bundle's top-level categories and the built-in segments", "[insights]") {
  emma::Engine e;
  load_small(e);
  const auto d = call(e, {{"op", "insights.domain"}});
  REQUIRE(d.ok());
  CHECK(d.result().at("categories") == json({"Home", "Kitchen", "Bags"}));  // the bundle's order
  CHECK(d.result().at("segments") == json({"new", "returning", "high_intent", "price_sensitive", "brand_loyal"}));
  const std::string id = d.result().at("id");
  CHECK(std::regex_match(id, std::regex("[0-9a-f]{32}")));
  CHECK(d.result().at("epsilon") == 2);
  CHECK(d.result().at("reports_per_day") == 1);
  // Another catalog with another top level has another id; the same one the same id.
  json cat = small_catalog();
  cat["items"].push_back({{"id", "x1"}, {"title", "Trowel"}, {"category", "Garden > Tools"}});
  REQUIRE(call(e, {{"op", "catalog.load"}, {"catalog", cat}}).ok());
  const auto d2 = call(e, {{"op", "insights.domain"}});
  CHECK(d2.result().at("categories") == json({"Home", "Kitchen", "Bags", "Garden"}));
  CHECK(d2.result().at("id") != id);
  REQUIRE(call(e, {{"op", "catalog.load"}, {"catalog", small_catalog()}}).ok());
  CHECK(call(e, {{"op", "insights.domain"}}).result().at("id") == id);
}

TEST_CASE("nothing is reported without insights, without personalization, under GPC or after objection", "[insights][consent]") {
  emma::Engine e;
  load_small(e);
  auto a = report(e);
  CHECK(a.code() == "NO_CONSENT");
  grant_insights(e);
  a = report(e);
  CHECK(a.code() == "NO_CONSENT");  // insights alone: there is no profile to report from
  CHECK(a.message().find("personalization") != std::string::npos);
  grant(e);
  view(e, "85099B");
  REQUIRE(report(e).ok());

  SECTION("withdrawing insights stops reports") {
    REQUIRE(call(e, {{"op", "consent.withdraw"}, {"purpose", "insights"}, {"now", kNow + kDay}}).ok());
    CHECK(report(e, kNow + kDay).code() == "NO_CONSENT");
  }
  SECTION("Global Privacy Control stops reports and refuses a new grant") {
    REQUIRE(call(e, {{"op", "consent.signal"}, {"source", "gpc"}, {"signal", {{"enabled", true}}}, {"now", kNow + kDay}}).ok());
    CHECK(report(e, kNow + kDay).code() == "NO_CONSENT");
    CHECK(call(e, {{"op", "consent.grant"}, {"purpose", "insights"}, {"version", "v"}, {"now", kNow + kDay}}).code() == "NO_CONSENT");
    CHECK(report(e, kNow + kDay).code() == "NO_CONSENT");
  }
  SECTION("an objection to profiling stops reports") {
    REQUIRE(call(e, {{"op", "profile.object"}, {"object", true}}).ok());
    a = report(e, kNow + kDay);
    REQUIRE(a.ok());
    CHECK(a.result().at("reports").empty());
    CHECK(a.result().at("persist") == false);
  }
  SECTION("withdrawing personalization stops reports") {
    REQUIRE(call(e, {{"op", "consent.withdraw"}, {"purpose", "personalization"}, {"now", kNow + kDay}}).ok());
    CHECK(report(e, kNow + kDay).code() == "NO_CONSENT");
  }
}

TEST_CASE("an empty profile reports nothing", "[insights]") {
  emma::Engine e;
  load_small(e);
  grant(e);
  grant_insights(e);
  const auto a = report(e);
  REQUIRE(a.ok());
  CHECK(a.result().at("reports").empty());
  CHECK(a.result().at("reason") == "the profile shows no category interest yet");
  CHECK(a.result().at("persist") == false);
}

TEST_CASE("a report has exactly the documented fields, a day and no finer time", "[insights]") {
  emma::Engine e;
  load_small(e);
  grant(e);
  grant_insights(e);
  view(e, "85099B");
  const auto domain = call(e, {{"op", "insights.domain"}}).result();
  const auto a = report(e);
  REQUIRE(a.ok());
  REQUIRE(a.result().at("reports").size() == 1);
  CHECK(a.result().at("persist") == true);
  const json r = a.result().at("reports")[0];
  std::set<std::string> keys;
  for (const auto& [k, v] : r.items()) keys.insert(k);
  CHECK(keys == std::set<std::string>{"v", "domain", "day", "epsilon", "categories", "segment", "segment_bit", "nonce"});
  CHECK(r.at("v") == 1);
  CHECK(r.at("domain") == domain.at("id"));
  CHECK(r.at("day") == "2025-11-24");  // kNow is 2025-11-24T16:00Z
  CHECK(r.at("epsilon") == 2);
  CHECK(std::regex_match(r.at("categories").get<std::string>(), std::regex("[01]{3}")));
  CHECK(r.at("segment").get<int>() >= 0);
  CHECK(r.at("segment").get<int>() < 5);
  CHECK((r.at("segment_bit") == 0 || r.at("segment_bit") == 1));
  CHECK(std::regex_match(r.at("nonce").get<std::string>(), std::regex("[0-9a-f]{32}")));
}

TEST_CASE("the daily budget limits reports, survives a reload, and renews the next day", "[insights][budget]") {
  const std::vector<std::uint8_t> key(32, 7);
  std::vector<std::uint8_t> sealed;
  {
    emma::Engine e;
    load_small(e);
    REQUIRE(call(e, {{"op", "configure"}, {"shop", "test-shop"}, {"insights", {{"epsilon", 1}, {"daily_epsilon", 3}}}}).ok());
    REQUIRE(call(e, {{"op", "catalog.load"}, {"catalog", small_catalog()}}).ok());
    grant(e);
    grant_insights(e);
    view(e, "22423");
    auto a = call(e, {{"op", "insights.report"}, {"max", 2}, {"now", kNow}});
    REQUIRE(a.result().at("reports").size() == 2);
    a = report(e);
    REQUIRE(a.result().at("reports").size() == 1);  // 3 of 3 spent
    CHECK(a.result().at("budget").at("remaining") == 0);
    a = report(e, kNow + 1000);
    CHECK(a.result().at("reports").empty());
    CHECK(a.result().at("reason") == "today's budget is spent");
    REQUIRE(call(e, {{"op", "vault.set_key"}, {"key_id", "k1"}}, key).ok());
    sealed = call(e, {{"op", "profile.seal"}}).bytes;
  }
  emma::Engine e;
  REQUIRE(call(e, {{"op", "configure"}, {"shop", "test-shop"}, {"insights", {{"epsilon", 1}, {"daily_epsilon", 3}}}}).ok());
  REQUIRE(call(e, {{"op", "catalog.load"}, {"catalog", small_catalog()}}).ok());
  REQUIRE(call(e, {{"op", "vault.set_key"}, {"key_id", "k1"}}, key).ok());
  REQUIRE(call(e, {{"op", "profile.open"}, {"now", kNow + 2000}}, sealed).ok());
  CHECK(report(e, kNow + 2000).result().at("reports").empty());  // a reload does not renew the budget
  CHECK(report(e, kNow + kDay).result().at("reports").size() == 3);  // the next day does

  SECTION("erasing forgets the budget with the profile; the empty profile has nothing to report") {
    REQUIRE(call(e, {{"op", "erase"}}).ok());
    grant(e);
    grant_insights(e);
    CHECK(report(e, kNow + kDay).result().at("reports").empty());
    view(e, "22423", kNow + kDay);
    CHECK(report(e, kNow + kDay).result().at("reports").size() == 3);
  }
}

TEST_CASE("insights configuration is validated", "[insights]") {
  emma::Engine e;
  auto a = call(e, {{"op", "configure"}, {"shop", "test-shop"}, {"insights", {{"epsilon", 0}}}});
  CHECK(a.code() == "BAD_REQUEST");
  CHECK(a.message().find("insights.epsilon") != std::string::npos);
  a = call(e, {{"op", "configure"}, {"shop", "test-shop"}, {"insights", {{"epsilon", 4}, {"daily_epsilon", 2}}}});
  CHECK(a.code() == "BAD_REQUEST");
  CHECK(a.message().find("daily_epsilon") != std::string::npos);
  a = call(e, {{"op", "configure"}, {"shop", "test-shop"}, {"insights", {{"epsilon", 1}}}});
  REQUIRE(a.ok());
  load_small(e);
  CHECK(call(e, {{"op", "insights.domain"}}).result().at("reports_per_day") == 2);
  CHECK(call(e, {{"op", "insights.nothing"}}).code() == "BAD_REQUEST");
}

TEST_CASE("the top category sums the item weights under each top-level category", "[insights]") {
  emma::Engine e;
  load_small(e);
  REQUIRE(call(e, {{"op", "configure"}, {"shop", "test-shop"}, {"insights", {{"epsilon", 8}, {"daily_epsilon", 16}}}}).ok());
  grant(e);
  grant_insights(e);
  // Two kitchen items (in two subcategories) outweigh one bag.
  view(e, "85099B");
  view(e, "22423");
  view(e, "37370");
  // At ε/2 = 4 the true bit is kept half the time and a false one set with q ≈ 0.018: the
  // kitchen bit is the one set most often over many reports.
  int counts[3] = {0, 0, 0};
  for (int day = 0; day < 200; ++day) {
    const auto a = report(e, kNow + day * kDay);
    for (const auto& r : a.result().at("reports")) {
      const std::string bits = r.at("categories");
      for (int i = 0; i < 3; ++i) counts[i] += bits[static_cast<std::size_t>(i)] == '1';
    }
  }
  INFO(counts[0] << " " << counts[1] << " " << counts[2]);
  CHECK(counts[1] > 150);  // Kitchen: 400 reports at p = 1/2, about 200 ones
  CHECK(counts[0] < 50);
  CHECK(counts[2] < 50);
}

TEST_CASE("day numbers become calendar days", "[insights]") {
  CHECK(emma::day_string(0) == "1970-01-01");
  CHECK(emma::day_string(11016) == "2000-02-29");
  CHECK(emma::day_string(20421) == "2025-11-29");
}

// The collector's estimators (demo/server/insights-estimate.mjs) undo the noise: at scale the
// estimate is within 6 standard deviations of the truth (a wrong p or q is off by far more),
// while the raw counts are far from it. Uses the engine's own secure random source.
TEST_CASE("OUE and randomized response can be de-noised without bias", "[insights][estimator]") {
  REQUIRE(sodium_init() >= 0);  // the Engine does this; here no Engine is made (wasm needs it)
  const double eps = 1.0;
  const std::size_t d = 9;
  const int n = 100000;
  const double share[d] = {0.30, 0.20, 0.15, 0.10, 0.08, 0.07, 0.05, 0.03, 0.02};
  std::vector<double> ones(d, 0);
  int seen = 0;
  for (std::size_t c = 0; c < d; ++c) {
    const int m = static_cast<int>(share[c] * n);
    for (int k = 0; k < m; ++k, ++seen) {
      const std::string bits = emma::oue_encode(d, c, eps, emma::secure_uniform);
      for (std::size_t i = 0; i < d; ++i) ones[i] += bits[i] == '1';
    }
  }
  REQUIRE(seen == n);
  const double p = 0.5, q = 1 / (std::exp(eps) + 1);
  for (std::size_t i = 0; i < d; ++i) {
    const double est = (ones[i] - n * q) / (p - q);
    const double truth = share[i] * n;
    const double sd = std::sqrt(n * q * (1 - q) / ((p - q) * (p - q)) + truth * (1 - p - q) / (p - q));
    INFO("category " << i << ": estimate " << est << ", truth " << truth << ", sd " << sd);
    CHECK(std::abs(est - truth) < 6 * sd);
  }
  // Without de-noising the counts say little: they add up to about n·(p + (d−1)·q) = 2.65·n.
  double sum = 0;
  for (double y : ones) sum += y;
  CHECK(sum > 2.5 * n);
  // Randomized response of one bit: 40% members.
  const double keep = std::exp(eps) / (std::exp(eps) + 1);
  double yes = 0;
  for (int k = 0; k < n; ++k) yes += emma::rr_encode(k < 0.4 * n, eps, emma::secure_uniform);
  const double est = (yes / n - (1 - keep)) / (2 * keep - 1);
  const double sd = std::sqrt((yes / n) * (1 - yes / n) / n) / (2 * keep - 1);
  INFO("segment: estimate " << est << ", sd " << sd);
  CHECK(std::abs(est - 0.4) < 6 * sd);
}

TEST_CASE("the record of processing names the collector only while reports can be sent", "[insights][record]") {
  emma::Engine e;
  load_small(e);
  auto recipients = [&] {
    return call(e, {{"op", "processing.record"}, {"now", kNow}}).result().at("json").at("recipients").dump();
  };
  CHECK(recipients() == "[]");
  grant_insights(e);
  CHECK(recipients() == "[]");  // insights without personalization: nothing is sent
  grant(e);
  CHECK(recipients().find("statistics collector") != std::string::npos);
  REQUIRE(call(e, {{"op", "consent.withdraw"}, {"purpose", "insights"}, {"now", kNow}}).ok());
  CHECK(recipients() == "[]");
}
