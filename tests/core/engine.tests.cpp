#include "test_engine.hpp"

using namespace emma_test;

TEST_CASE("before consent nothing is recorded and answers are not personalized", "[engine][consent]") {
  emma::Engine e;
  load_small(e);
  auto a = call(e, {{"op", "track"}, {"event", {{"type", "view"}, {"item", "37370"}}}, {"now", kNow}});
  REQUIRE(a.ok());
  CHECK(a.result().at("recorded") == false);
  CHECK(a.result().at("persist") == false);
  a = call(e, {{"op", "profile.seal"}});
  CHECK(a.code() == "NO_CONSENT");
  a = call(e, {{"op", "recommend"}, {"request", {{"limit", 3}}}, {"now", kNow}});
  CHECK(a.result().at("personalized") == false);
  CHECK(ids_of(a) == std::vector<std::string>{"85123A", "85099B", "22423"});  // by popularity
  CHECK(call(e, {{"op", "profile.export"}, {"now", kNow}}).result().at("event_count") == 0);
}

TEST_CASE("views move for_you toward their category, with reasons", "[engine][recommend]") {
  emma::Engine e;
  load_small(e);
  grant(e);
  for (const char* id : {"37370", "22720"}) {
    auto a = call(e, {{"op", "track"}, {"event", {{"type", "view"}, {"item", id}}}, {"now", kNow}});
    REQUIRE(a.result().at("persist") == true);
  }
  const auto a = call(e, {{"op", "recommend"}, {"request", {{"limit", 3}}}, {"now", kNow}});
  REQUIRE(a.ok());
  CHECK(a.result().at("personalized") == true);
  for (const auto& item : a.result().at("items")) {
    CHECK(item.at("category")[0] == "Kitchen");
    CHECK(item.at("reasons")[0].at("text").get<std::string>().size() > 0);
  }
  bool has_category_reason = false;
  for (const auto& r : a.result().at("items")[0].at("reasons")) has_category_reason |= r.at("kind") == "category";
  CHECK(has_category_reason);
}

TEST_CASE("the sealed profile restores recommendations in a new engine", "[engine][vault]") {
  const std::vector<std::uint8_t> key(32, 9);
  std::vector<std::uint8_t> sealed;
  std::vector<std::string> before;
  {
    emma::Engine e;
    load_small(e);
    grant(e);
    REQUIRE(call(e, {{"op", "vault.set_key"}, {"key_id", "k1"}}, key).ok());
    for (const char* id : {"85099B", "20725"}) {
      REQUIRE(call(e, {{"op", "track"}, {"event", {{"type", "view"}, {"item", id}}}, {"now", kNow}}).ok());
    }
    before = ids_of(call(e, {{"op", "recommend"}, {"request", {{"limit", 4}}}, {"now", kNow}}));
    auto s = call(e, {{"op", "profile.seal"}});
    REQUIRE(s.ok());
    sealed = s.bytes;
    const std::string text(sealed.begin(), sealed.end());
    for (const char* secret : {"85099B", "20725", "Bags", "RETROSPOT", "personalization"}) {
      CHECK(text.find(secret) == std::string::npos);
    }
  }
  emma::Engine fresh;
  load_small(fresh);
  REQUIRE(call(fresh, {{"op", "vault.set_key"}, {"key_id", "k1"}}, key).ok());
  const auto opened = call(fresh, {{"op", "profile.open"}}, sealed);
  REQUIRE(opened.ok());
  CHECK(opened.result().at("events") == 2);
  CHECK(opened.result().at("consent").at("personalization").at("granted") == true);
  CHECK(ids_of(call(fresh, {{"op", "recommend"}, {"request", {{"limit", 4}}}, {"now", kNow}})) == before);
  // Sealed for this shop only.
  emma::Engine other_shop;
  REQUIRE(call(other_shop, {{"op", "configure"}, {"shop", "another-shop"}}).ok());
  REQUIRE(call(other_shop, {{"op", "vault.set_key"}, {"key_id", "k1"}}, key).ok());
  CHECK(call(other_shop, {{"op", "profile.open"}}, sealed).code() == "TAMPERED");
}

TEST_CASE("withdrawal and erase end the profile", "[engine][consent]") {
  emma::Engine e;
  load_small(e);
  grant(e);
  REQUIRE(call(e, {{"op", "track"}, {"event", {{"type", "view"}, {"item", "37370"}}}, {"now", kNow}}).ok());
  auto a = call(e, {{"op", "consent.withdraw"}, {"purpose", "personalization"}, {"now", kNow + 1}});
  REQUIRE(a.ok());
  CHECK(a.result().at("erase_storage") == true);
  CHECK(call(e, {{"op", "profile.export"}, {"now", kNow}}).result().at("event_count") == 0);
  const auto records = call(e, {{"op", "consent.records"}}).result();
  REQUIRE(records.size() == 2);
  CHECK(records[0].at("granted") == true);
  CHECK(records[0].at("text_hash").get<std::string>().size() == 64);
  CHECK(records[1].at("granted") == false);
  a = call(e, {{"op", "erase"}});
  CHECK(a.result().at("erase_storage") == true);
  CHECK(call(e, {{"op", "consent.records"}}).result().empty());
}

TEST_CASE("consent requests are validated", "[engine][consent]") {
  emma::Engine e;
  auto a = call(e, {{"op", "consent.grant"}, {"purpose", "everything"}, {"version", "1"}});
  CHECK(a.code() == "BAD_CONSENT");
  CHECK_THAT(a.message(), Catch::Contains("purpose"));
  a = call(e, {{"op", "consent.grant"}, {"purpose", "personalization"}});
  CHECK(a.code() == "BAD_CONSENT");
  CHECK_THAT(a.message(), Catch::Contains("version"));
  CHECK(call(e, {{"op", "consent.state"}}).result().at("personalization").at("granted") == false);
}

TEST_CASE("objection stops profiling without losing the profile", "[engine][consent]") {
  emma::Engine e;
  load_small(e);
  grant(e);
  REQUIRE(call(e, {{"op", "track"}, {"event", {{"type", "view"}, {"item", "37370"}}}, {"now", kNow}}).ok());
  REQUIRE(call(e, {{"op", "profile.object"}, {"object", true}}).ok());
  auto a = call(e, {{"op", "recommend"}, {"request", {{"limit", 3}}}, {"now", kNow}});
  CHECK(a.result().at("personalized") == false);
  CHECK(call(e, {{"op", "track"}, {"event", {{"type", "view"}, {"item", "71053"}}}, {"now", kNow}})
            .result().at("recorded") == false);
  REQUIRE(call(e, {{"op", "profile.object"}, {"object", false}}).ok());
  a = call(e, {{"op", "recommend"}, {"request", {{"limit", 3}}}, {"now", kNow}});
  CHECK(a.result().at("personalized") == true);
  CHECK(call(e, {{"op", "profile.export"}, {"now", kNow}}).result().at("event_count") == 1);
}

TEST_CASE("scenarios and rules of the first slice", "[engine][recommend]") {
  emma::Engine e;
  load_small(e);
  auto a = call(e, {{"op", "recommend"}, {"request", {{"scenario", "similar"}, {"item", "85123A"}, {"limit", 5}}}});
  REQUIRE(a.ok());
  // Same leaf first, never the item itself; then the shop's popular items fill the row.
  CHECK(ids_of(a) == std::vector<std::string>{"71053", "21733", "85099B", "22423", "22720"});
  a = call(e, {{"op", "recommend"}, {"request", {{"scenario", "trending"}, {"limit", 8}, {"rules", {{"inStock", true}}}}}});
  for (const auto& item : a.result().at("items")) CHECK(item.at("in_stock") == true);
  CHECK(a.result().at("items").size() == 7);
  a = call(e, {{"op", "recommend"}, {"request", {{"scenario", "similar"}}}});
  CHECK_THAT(a.message(), Catch::Contains("request.item"));
  a = call(e, {{"op", "recommend"}, {"request", {{"limit", 0}}}});
  CHECK_THAT(a.message(), Catch::Contains("request.limit"));
}

TEST_CASE("events are validated", "[engine][profile]") {
  emma::Engine e;
  load_small(e);
  grant(e);
  auto a = call(e, {{"op", "track"}, {"event", {{"type", "teleport"}, {"item", "x"}}}});
  CHECK(a.code() == "BAD_EVENT");
  CHECK_THAT(a.message(), Catch::Contains("event.type"));
  a = call(e, {{"op", "track"}, {"event", {{"type", "purchase"}, {"item", "x"}, {"quantity", -2}}}});
  CHECK_THAT(a.message(), Catch::Contains("event.quantity"));
  a = call(e, {{"op", "track"}, {"event", {{"type", "search"}}}});
  CHECK_THAT(a.message(), Catch::Contains("event.query"));
  a = call(e, {{"op", "track"}, {"event", {{"type", "view"}, {"item", "x"}, {"at", kNow * 2}}}, {"now", kNow}});
  CHECK_THAT(a.message(), Catch::Contains("event.at"));
}

TEST_CASE("consent signals: TCF, Consent Mode and GPC", "[engine][consent]") {
  emma::Engine e;
  load_small(e);
  auto tcf = [&](json consents, const char* status = "useractioncomplete") {
    return call(e, {{"op", "consent.signal"}, {"source", "tcf"}, {"now", kNow},
                    {"signal", {{"gdprApplies", true}, {"eventStatus", status}, {"tcfPolicyVersion", 5},
                                {"cmpId", 300}, {"purpose", {{"consents", consents}}}}}});
  };
  SECTION("purposes 1, 5 and 6 grant personalization; losing one withdraws it") {
    auto a = tcf({{"1", true}, {"5", true}, {"6", true}});
    REQUIRE(a.ok());
    CHECK(a.result().at("changed") == json{"personalization"});
    CHECK(a.result().at("state").at("personalization").at("source") == "tcf");
    CHECK(a.result().at("persist") == true);
    CHECK(tcf({{"1", true}, {"5", true}, {"6", true}}).result().at("changed").empty());  // no duplicate proofs
    a = tcf({{"1", true}, {"5", true}});
    CHECK(a.result().at("changed") == json{"personalization"});
    CHECK(a.result().at("erase_storage") == true);
    CHECK(call(e, {{"op", "consent.records"}}).result().size() == 2);
  }
  SECTION("a CMP that is still asking decides nothing") {
    CHECK(tcf({{"1", true}, {"5", true}, {"6", true}}, "cmpuishown").result().at("changed").empty());
  }
  SECTION("publisher consents win over vendor purpose consents") {
    auto a = call(e, {{"op", "consent.signal"}, {"source", "tcf"},
                      {"signal", {{"eventStatus", "tcloaded"},
                                  {"publisher", {{"consents", {{"1", true}, {"5", true}, {"6", true}, {"9", true}}}}},
                                  {"purpose", {{"consents", {{"1", false}}}}}}}});
    CHECK(a.result().at("state").at("personalization").at("granted") == true);
    CHECK(a.result().at("state").at("insights").at("granted") == true);
  }
  SECTION("Consent Mode v2 personalization_storage") {
    auto a = call(e, {{"op", "consent.signal"}, {"source", "consent-mode"}, {"signal", {{"personalization_storage", "granted"}}}});
    CHECK(a.result().at("state").at("personalization").at("granted") == true);
    a = call(e, {{"op", "consent.signal"}, {"source", "consent-mode"}, {"signal", {{"personalization_storage", "maybe"}}}});
    CHECK(a.code() == "BAD_CONSENT");
    CHECK_THAT(a.message(), Catch::Contains("signal.personalization_storage"));
  }
  SECTION("GPC withdraws and then refuses insights and sync, but not personalization") {
    REQUIRE(call(e, {{"op", "consent.grant"}, {"purpose", "insights"}, {"version", "1"}}).ok());
    auto a = call(e, {{"op", "consent.signal"}, {"source", "gpc"}, {"signal", {{"enabled", true}}}});
    CHECK(a.result().at("changed") == json{"insights"});
    CHECK(call(e, {{"op", "consent.grant"}, {"purpose", "sync"}, {"version", "1"}}).code() == "NO_CONSENT");
    grant(e);
    CHECK(call(e, {{"op", "consent.state"}}).result().at("personalization").at("granted") == true);
  }
  SECTION("unknown sources are named") {
    auto a = call(e, {{"op", "consent.signal"}, {"source", "horoscope"}, {"signal", json::object()}});
    CHECK_THAT(a.message(), Catch::Contains("horoscope"));
  }
}

// createEmma's consent.texts (API.md): a consent tool's decision on a purpose is recorded with
// the version and the text the shop's tool shows for it, as a banner's grant is; GPC and
// purposes without a text keep the signal's own version and no hash.
TEST_CASE("a consent tool's decision is recorded with the shop's text for that purpose", "[engine][consent]") {
  emma::Engine e;
  load_small(e);
  const std::string text = "We personalise this shop with what you look at here.";
  REQUIRE(call(e, {{"op", "configure"}, {"shop", "test-shop"},
                   {"consent_texts", {{"personalization", {{"version", "v7"}, {"text", text}}}}}}).ok());
  REQUIRE(call(e, {{"op", "consent.signal"}, {"source", "consent-mode"}, {"now", kNow},
                   {"signal", {{"personalization_storage", "granted"}}}}).ok());
  REQUIRE(call(e, {{"op", "consent.signal"}, {"source", "tcf"}, {"now", kNow},
                   {"signal", {{"eventStatus", "tcloaded"}, {"tcfPolicyVersion", 5}, {"cmpId", 300},
                               {"purpose", {{"consents", {{"1", true}, {"5", true}, {"6", true}, {"9", true}}}}}}}}).ok());
  REQUIRE(call(e, {{"op", "consent.signal"}, {"source", "gpc"}, {"signal", {{"enabled", true}}}}).ok());
  const json records = call(e, {{"op", "consent.records"}}).result();
  REQUIRE(records.size() == 3);
  CHECK(records[0].at("purpose") == "personalization");
  CHECK(records[0].at("version") == "v7");
  CHECK(records[0].at("text_hash") == emma::text_hash_hex(text));
  CHECK(records[0].at("source") == "consent-mode");
  CHECK(records[1].at("purpose") == "insights");  // no text for it: the signal's own version
  CHECK(records[1].at("version") == "tcf:policy-5:cmp-300");
  CHECK(records[1].at("text_hash") == "");
  CHECK(records[2].at("granted") == false);  // GPC: a browser setting, no text shown
  CHECK(records[2].at("version") == "gpc");
  CHECK(call(e, {{"op", "consent.state"}}).result().at("personalization").at("version") == "v7");

  auto configure = [&](json texts) { return call(e, {{"op", "configure"}, {"shop", "test-shop"}, {"consent_texts", texts}}); };
  auto a = configure({{"marketing", {{"version", "1"}}}});
  CHECK(a.code() == "BAD_REQUEST");
  CHECK_THAT(a.message(), Catch::Contains("consent.texts.marketing"));
  a = configure({{"personalization", {{"text", "no version"}}}});
  CHECK(a.code() == "BAD_REQUEST");
  CHECK_THAT(a.message(), Catch::Contains("consent.texts.personalization.version"));
  CHECK(configure("v7").code() == "BAD_REQUEST");
}

TEST_CASE("forget an item, a category, a search (Art. 16)", "[engine][rights]") {
  emma::Engine e;
  load_small(e);
  grant(e);
  for (const json& ev : {json{{"type", "view"}, {"item", "85123A"}}, json{{"type", "purchase"}, {"item", "22720"}},
                         json{{"type", "view"}, {"item", "37370"}}, json{{"type", "search"}, {"query", "red bag"}}}) {
    REQUIRE(call(e, {{"op", "track"}, {"event", ev}, {"now", kNow}}).ok());
  }
  auto exported = [&] { return call(e, {{"op", "profile.export"}, {"now", kNow}}).result(); };
  CHECK(call(e, {{"op", "profile.forget"}, {"item", "85123A"}}).result().at("forgotten").get<int>() >= 2);
  CHECK_FALSE(exported().at("interests").at("items").contains("85123A"));
  CHECK(exported().at("recently_viewed").size() == 1);
  // The category, and what was done with its items (the baking tins and the mugs).
  REQUIRE(call(e, {{"op", "profile.forget"}, {"category", "Kitchen"}}).ok());
  const auto after = exported();
  for (const auto& [name, w] : after.at("interests").at("categories").items()) CHECK(name.rfind("Kitchen", 0) != 0);
  CHECK(after.at("purchases").empty());
  CHECK(after.at("interests").at("items").empty());
  CHECK(call(e, {{"op", "profile.forget"}, {"search", "red bag"}}).result().at("forgotten") == 1);
  CHECK(exported().at("searches").empty());
  CHECK(call(e, {{"op", "profile.forget"}}).code() == "BAD_REQUEST");
}

TEST_CASE("retention folds old purchases into counts and erases unused profiles", "[engine][rights]") {
  emma::Engine e;
  REQUIRE(call(e, {{"op", "configure"}, {"shop", "s"}, {"retention", {{"raw_event_days", 30}, {"inactive_days", 60}}}}).ok());
  REQUIRE(call(e, {{"op", "catalog.load"}, {"catalog", small_catalog()}}).ok());
  grant(e);
  const std::int64_t day = 86'400'000;
  REQUIRE(call(e, {{"op", "track"}, {"now", kNow}, {"events", {{{"type", "purchase"}, {"item", "71053"}, {"at", kNow - 50 * day}},
                                                                {{"type", "purchase"}, {"item", "71053"}, {"at", kNow - 40 * day}},
                                                                {{"type", "view"}, {"item", "22423"}, {"at", kNow - 45 * day}},
                                                                {{"type", "purchase"}, {"item", "20725"}, {"at", kNow - day}}}}}).ok());
  auto ex = call(e, {{"op", "profile.export"}, {"now", kNow}}).result();
  CHECK(ex.at("purchases").size() == 1);  // only the recent line keeps its date
  CHECK(ex.at("purchases_counted").at("71053") == 2);  // two baskets, counted without dates
  CHECK(ex.at("recently_viewed").empty());
  // Still the shopper's first choice: counts are what the ranking uses.
  auto r = call(e, {{"op", "recommend"}, {"request", {{"limit", 1}}}, {"now", kNow}});
  CHECK(ids_of(r) == std::vector<std::string>{"71053"});
  // Sealed, then opened 61 days later: expired, erased.
  const std::vector<std::uint8_t> key(32, 4);
  REQUIRE(call(e, {{"op", "vault.set_key"}, {"key_id", "k"}}, key).ok());
  const auto sealed = call(e, {{"op", "profile.seal"}}).bytes;
  emma::Engine later;
  REQUIRE(call(later, {{"op", "configure"}, {"shop", "s"}, {"retention", {{"inactive_days", 60}}}}).ok());
  REQUIRE(call(later, {{"op", "vault.set_key"}, {"key_id", "k"}}, key).ok());
  auto opened = call(later, {{"op", "profile.open"}, {"now", kNow + 61 * day}}, sealed);
  REQUIRE(opened.ok());
  CHECK(opened.result().at("expired") == true);
  CHECK(opened.result().at("erase_storage") == true);
  CHECK(call(later, {{"op", "profile.export"}, {"now", kNow}}).result().at("event_count") == 0);
}

TEST_CASE("the record of processing follows the live configuration (Art. 30)", "[engine][rights]") {
  emma::Engine e;
  REQUIRE(call(e, {{"op", "configure"}, {"shop", "s"}, {"controller", {{"name", "Tante Emma GmbH"}, {"contact", "privacy@example.org"}}},
                   {"retention", {{"raw_event_days", 90}}}}).ok());
  auto r = call(e, {{"op", "processing.record"}, {"now", kNow}}).result();
  CHECK(r.at("json").at("controller").at("name") == "Tante Emma GmbH");
  CHECK(r.at("json").at("recipients").empty());
  CHECK_THAT(r.at("json").at("retention").at("raw_events").get<std::string>(), Catch::Contains("90 days"));
  CHECK_THAT(r.at("markdown").get<std::string>(), Catch::Contains("None: the data stays on the shopper's device"));
  REQUIRE(call(e, {{"op", "consent.grant"}, {"purpose", "insights"}, {"version", "1"}}).ok());
  // Insights are made from the profile: the collector is a recipient once personalization is granted too.
  CHECK(call(e, {{"op", "processing.record"}, {"now", kNow}}).result().at("json").at("recipients").empty());
  REQUIRE(call(e, {{"op", "consent.grant"}, {"purpose", "personalization"}, {"version", "1"}}).ok());
  r = call(e, {{"op", "processing.record"}, {"now", kNow}}).result();
  CHECK(r.at("json").at("recipients").size() == 1);
  CHECK_THAT(r.at("markdown").get<std::string>(), Catch::Contains("| insights |") && Catch::Contains("| granted |"));
  // The key's protection as the page's storage keeps it (keys.js), not IndexedDB's for every one.
  auto measures = [&](json protection) {
    json request = {{"op", "processing.record"}, {"now", kNow}};
    if (!protection.is_null()) request["key_protection"] = protection;
    return call(e, request).result().at("json").at("security_measures").dump();
  };
  CHECK_THAT(measures("wrapped"), Catch::Contains("wrapped by a non-extractable WebCrypto key"));
  CHECK_THAT(measures("raw"), Catch::Contains("beside the encrypted profile") && !Catch::Contains("non-extractable"));
  CHECK_THAT(measures(nullptr), !Catch::Contains("non-extractable"));
}

TEST_CASE("event weights and the half-life are configurable", "[engine][profile]") {
  auto weight_after = [](json profile) {
    emma::Engine e;
    REQUIRE(call(e, {{"op", "configure"}, {"shop", "s"}, {"profile", profile}}).ok());
    REQUIRE(call(e, {{"op", "catalog.load"}, {"catalog", small_catalog()}}).ok());
    grant(e);
    REQUIRE(call(e, {{"op", "track"}, {"event", {{"type", "view"}, {"item", "71053"}, {"at", kNow - 10 * 86'400'000LL}}}, {"now", kNow}}).ok());
    return call(e, {{"op", "profile.export"}, {"now", kNow}}).result().at("interests").at("items").at("71053").get<double>();
  };
  CHECK(weight_after(json::object()) == Approx(std::exp2(-10.0 / 14)));
  CHECK(weight_after({{"view", 2}, {"half_life_days", 10}}) == Approx(1.0));
  emma::Engine e;
  auto a = call(e, {{"op", "configure"}, {"shop", "s"}, {"profile", {{"half_life_days", 0}}}});
  CHECK(a.code() == "BAD_REQUEST");
  CHECK_THAT(a.message(), Catch::Contains("profile.half_life_days"));
}

// Issue #14: a write after one tracked event used to seal the whole profile again, so its
// cost grew with the profile. Now the event is appended to the sealed record as one small
// frame, and a fresh engine opening the record sees exactly the session that sealed it.
TEST_CASE("a tracked event appends a small frame to the sealed record; a reload sees the same session", "[engine][vault]") {
  const std::vector<std::uint8_t> key(32, 5);
  const char* items[] = {"85123A", "71053", "21733", "22720", "22423", "37370", "85099B", "20725"};
  emma::Engine e;
  load_small(e);
  grant(e);
  REQUIRE(call(e, {{"op", "vault.set_key"}, {"key_id", "k1"}, {"created_at", kNow}}, key).ok());
  auto track = [&](int k) {
    const json ev = k % 5 == 4 ? json{{"type", "purchase"}, {"item", items[k % 8]}, {"quantity", 2}}
                  : k % 7 == 3 ? json{{"type", "search"}, {"query", "cake " + std::to_string(k % 3)}}
                               : json{{"type", "view"}, {"item", items[(k * 3) % 8]}};
    REQUIRE(call(e, {{"op", "track"}, {"event", ev}, {"now", kNow + k}}).ok());
  };
  auto seal = [&](int k) {
    const auto s = call(e, {{"op", "profile.seal"}, {"now", kNow + k}});
    REQUIRE(s.ok());
    return s.bytes;
  };
  std::vector<std::uint8_t> before;
  std::size_t snapshots = 0, largest = 0;
  for (int k = 0; k < 600; ++k) {
    track(k);
    const auto after = seal(k);
    const bool appended = !before.empty() && after.size() > before.size() &&
                          std::equal(before.begin(), before.end() - 44, after.begin());
    if (appended) {
      CHECK(after.size() - before.size() < 200);  // one event, not the profile
    } else {
      ++snapshots;
    }
    largest = std::max(largest, after.size());
    before = after;
  }
  // Snapshots are rare and the record stays bounded (changes up to the snapshot's size).
  CHECK(snapshots < 30);
  CHECK(largest < 3 * before.size() + 8192);

  auto reopened = [&](const std::vector<std::uint8_t>& sealed) {
    auto fresh = std::make_unique<emma::Engine>();
    load_small(*fresh);
    REQUIRE(call(*fresh, {{"op", "vault.set_key"}, {"key_id", "k1"}, {"created_at", kNow}}, key).ok());
    REQUIRE(call(*fresh, {{"op", "profile.open"}, {"now", kNow + 600}}, sealed).ok());
    return fresh;
  };
  const json live = call(e, {{"op", "profile.export"}, {"now", kNow + 600}}).result();
  CHECK(live.at("event_count") == 600);
  auto fresh = reopened(before);
  CHECK(call(*fresh, {{"op", "profile.export"}, {"now", kNow + 600}}).result() == live);

  SECTION("a reopened session appends to the record it opened") {
    REQUIRE(call(*fresh, {{"op", "track"}, {"event", {{"type", "view"}, {"item", "22423"}}}, {"now", kNow + 601}}).ok());
    const auto more = call(*fresh, {{"op", "profile.seal"}, {"now", kNow + 601}}).bytes;
    CHECK(std::equal(before.begin(), before.end() - 44, more.begin()));
    CHECK(call(*reopened(more), {{"op", "profile.export"}, {"now", kNow + 601}}).result().at("event_count") == 601);
  }
  SECTION("any other change seals a new snapshot") {
    REQUIRE(call(e, {{"op", "profile.forget"}, {"item", "22423"}}).ok());
    const auto after = seal(600);
    CHECK(!std::equal(before.begin(), before.begin() + 100, after.begin()));
    CHECK(call(*reopened(after), {{"op", "profile.export"}, {"now", kNow + 600}}).result() ==
          call(e, {{"op", "profile.export"}, {"now", kNow + 600}}).result());
  }
}
