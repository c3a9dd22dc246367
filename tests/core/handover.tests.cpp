// The embed's page engine hands its session to the engine with the shopper's rights
// (state.document, then state.adopt on the other instance: engine_rights.cpp): the session
// there must be the same one, whatever it holds, or an export, a backup or the next write
// would differ from what the shopper's page had.
#include "test_engine.hpp"

using namespace emma_test;

namespace {

Answer document(emma::Engine& e) { return call(e, {{"op", "state.document"}, {"now", kNow}}); }

void adopt(emma::Engine& to, const Answer& doc) {
  load_small(to);
  REQUIRE(call(to, {{"op", "state.adopt"}, {"now", kNow}}, doc.bytes).ok());
}

json exported(emma::Engine& e) { return call(e, {{"op", "profile.export"}, {"now", kNow}}).result(); }

}  // namespace

TEST_CASE("a session handed over is the same session", "[handover]") {
  emma::Engine from;
  load_small(from);
  grant(from);
  for (const json& ev : {json{{"type", "view"}, {"item", "85123A"}}, json{{"type", "add_to_cart"}, {"item", "22720"}},
                         json{{"type", "purchase"}, {"item", "85099B"}}, json{{"type", "search"}, {"query", "red bag"}}}) {
    REQUIRE(call(from, {{"op", "track"}, {"event", ev}, {"now", kNow}}).ok());
  }
  REQUIRE(call(from, {{"op", "profile.object"}, {"object", true}}).ok());
  REQUIRE(call(from, {{"op", "profile.object"}, {"object", false}}).ok());
  const Answer doc = document(from);
  REQUIRE(doc.ok());
  REQUIRE(doc.bytes.size() == doc.result().at("bytes").get<std::size_t>());

  emma::Engine to;
  adopt(to, doc);
  CHECK(exported(to) == exported(from));
  CHECK(call(to, {{"op", "consent.records"}}).result() == call(from, {{"op", "consent.records"}}).result());
  const json home = {{"op", "recommend"}, {"scenario", "for_you"}, {"count", 4}, {"now", kNow}};
  CHECK(call(to, home).result() == call(from, home).result());
  // And it goes on from there: the next event counts on top of what came over.
  REQUIRE(call(to, {{"op", "track"}, {"event", {{"type", "view"}, {"item", "71053"}}}, {"now", kNow}}).ok());
  CHECK(exported(to).at("event_count") == exported(from).at("event_count").get<int>() + 1);
}

TEST_CASE("a handed-over session keeps what is never sealed: the GPC signal, and no consent", "[handover]") {
  SECTION("GPC still refuses insights on the engine that took over") {
    emma::Engine from;
    load_small(from);
    grant(from);
    REQUIRE(call(from, {{"op", "consent.signal"}, {"source", "gpc"}, {"signal", {{"enabled", true}}}}).ok());
    emma::Engine to;
    adopt(to, document(from));
    CHECK(call(to, {{"op", "consent.grant"}, {"purpose", "insights"}, {"version", "1"}}).code() == "NO_CONSENT");
    CHECK(call(to, {{"op", "consent.state"}}).result() == call(from, {{"op", "consent.state"}}).result());
  }
  SECTION("a session without consent stays one: nothing to seal, nothing granted") {
    emma::Engine from;
    load_small(from);
    REQUIRE(call(from, {{"op", "consent.withdraw"}, {"purpose", "personalization"}, {"version", "1"}}).ok());
    emma::Engine to;
    adopt(to, document(from));
    CHECK(call(to, {{"op", "consent.records"}}).result() == call(from, {{"op", "consent.records"}}).result());
    CHECK(call(to, {{"op", "profile.seal"}, {"now", kNow}}).code() == "NO_CONSENT");
  }
}

TEST_CASE("state.adopt refuses what is not a handed-over session, and changes nothing", "[handover]") {
  emma::Engine to;
  load_small(to);
  grant(to);
  REQUIRE(call(to, {{"op", "track"}, {"event", {{"type", "view"}, {"item", "85123A"}}}, {"now", kNow}}).ok());
  const json before = exported(to);
  const std::string junk = "{\"format\": 1, \"profile\": []}";
  const Answer a = call(to, {{"op", "state.adopt"}, {"now", kNow}}, std::vector<std::uint8_t>(junk.begin(), junk.end()));
  CHECK_FALSE(a.ok());
  CHECK(exported(to) == before);
}
