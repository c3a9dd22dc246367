// Text as shop feeds and pages really send it: strings cut in the middle of an emoji (a lone
// UTF-16 surrogate, which JSON.stringify writes as an escape) and documents nested too deep.
// Text fields keep a visible U+FFFD; ids refuse it; every error names the field path.
#include "test_engine.hpp"

using namespace emma_test;

namespace {

const std::string kReplacement = "\xEF\xBF\xBD";  // U+FFFD in UTF-8

// The catalog as a page's JSON.stringify sends it: the escapes stay in the text as written.
std::string catalog_text(const std::string& items) {
  return R"({"op":"catalog.load","catalog":{"items":[)" + items + "]}}";
}

std::string title_of(emma::Engine& e, const std::string& id) {
  const auto a = call(e, {{"op", "recommend"}, {"request", {{"scenario", "rerank"}, {"items", {id}}}}, {"now", kNow}});
  REQUIRE(a.ok());
  REQUIRE(a.result().at("items").size() == 1);
  return a.result().at("items")[0].at("title").get<std::string>();
}

}  // namespace

TEST_CASE("a lone surrogate in a title becomes U+FFFD and the catalog loads", "[boundary][text]") {
  emma::Engine e;
  REQUIRE(call(e, {{"op", "configure"}, {"shop", "s"}}).ok());
  const auto a = call_raw(e, catalog_text(R"({"id":"a","title":"Candle \ud83d"},)"
                                          R"({"id":"b","title":"\udc00low \ude00\ud83d reversed"},)"
                                          R"({"id":"c","title":"pair \uD83D\uDE00 ok"},)"
                                          R"({"id":"d","title":"end \ud83d\n\ud83d\u0041"})"));
  REQUIRE(a.ok());
  CHECK(a.result().at("items") == 4);
  CHECK(title_of(e, "a") == "Candle " + kReplacement);
  CHECK(title_of(e, "b") == kReplacement + "low " + kReplacement + kReplacement + " reversed");
  CHECK(title_of(e, "c") == "pair \xF0\x9F\x98\x80 ok");  // a whole pair is the emoji it encodes
  CHECK(title_of(e, "d") == "end " + kReplacement + "\n" + kReplacement + "A");
}

TEST_CASE("a lone surrogate in an id is refused naming the item and field", "[boundary][text]") {
  emma::Engine e;
  load_small(e);
  auto a = call_raw(e, catalog_text(R"({"id":"a"},{"id":"b"},{"id":"shirt-\ud83d","title":"Shirt"})"));
  CHECK(a.code() == "BAD_BUNDLE");
  CHECK_THAT(a.message(), Catch::Contains("catalog.items[2].id: contains a broken character"));
  // The shop's previous catalog stays loaded.
  CHECK(call(e, {{"op", "engine.info"}}).result().at("items") == 8);

  grant(e);
  a = call_raw(e, R"({"op":"track","event":{"type":"view","item":"\ud800"}})");
  CHECK(a.code() == "BAD_EVENT");
  CHECK_THAT(a.message(), Catch::Contains("event.item: contains a broken character"));
  a = call_raw(e, R"({"op":"recommend","request":{"scenario":"rerank","items":["85123A","x\udfff"]}})");
  CHECK(a.code() == "BAD_REQUEST");
  CHECK_THAT(a.message(), Catch::Contains("request.items[1]: contains a broken character"));
  a = call_raw(e, R"({"op":"recommend","request":{"rules":{"pin":[{"item":"\ud83d"}]}}})");
  CHECK(a.code() == "BAD_REQUEST");
  CHECK_THAT(a.message(), Catch::Contains("request.rules.pin[0].item: contains a broken character"));
}

TEST_CASE("a search with a lone surrogate is recorded with U+FFFD", "[boundary][text]") {
  emma::Engine e;
  load_small(e);
  grant(e);
  const auto a = call_raw(e, R"({"op":"track","now":1764000000000,"event":{"type":"search","query":"\ud800abc"}})");
  REQUIRE(a.ok());
  CHECK(a.result().at("recorded") == true);
  const auto x = call(e, {{"op", "profile.export"}, {"now", kNow}});
  REQUIRE(x.ok());
  CHECK(x.result().at("searches").at(0).at("query") == kReplacement + "abc");
}

TEST_CASE("too deep nesting names the field path where it happened", "[boundary][text]") {
  emma::Engine e;
  load_small(e);
  const std::string deep = std::string(40, '[') + std::string(40, ']');
  auto a = call_raw(e, R"({"op":"recommend","request":{"rules":{"boost":[{"field":"brand","value":)" + deep + "}]}}}");
  CHECK(a.code() == "BAD_REQUEST");
  std::string path = "request.rules.boost[0].value";
  for (int k = 0; k < 27; ++k) path += "[0]";  // 5 levels above value, 27 arrays inside it reach 32
  CHECK_THAT(a.message(), Catch::Contains("nests deeper than 32 levels at byte 100 (in " + path + ")"));
  // Keys after a sibling count from that sibling: the index and key are the current ones.
  a = call_raw(e, R"({"op":"track","events":[{"type":"view","item":"a"},{"type":"view","x":)" + deep + "}]}");
  CHECK_THAT(a.message(), Catch::Contains("(in events[1].x[0]"));
  CHECK(call(e, {{"op", "recommend"}, {"request", {{"limit", 3}}}, {"now", kNow}}).ok());
}

TEST_CASE("ill-formed UTF-8 and other syntax errors name the field", "[boundary][text]") {
  emma::Engine e;
  load_small(e);
  auto a = call_raw(e, std::string(R"({"op":"track","event":{"type":"view","item":")") + "\xC3\x28" + "\"}}");
  CHECK(a.code() == "BAD_REQUEST");
  CHECK_THAT(a.message(), Catch::Contains("not valid JSON at byte 47 (in event.item)") && Catch::Contains("UTF-8"));
  a = call_raw(e, R"({"op":"recommend","request":{"items":["a",tru]}})");
  CHECK_THAT(a.message(), Catch::Contains("(in request.items[1])"));
}
