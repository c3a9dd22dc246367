// Bad input at the boundary: each is answered with a clear error, and the very next call
// on the same engine succeeds.
#include "test_engine.hpp"

#include "core/bundle.hpp"

using namespace emma_test;

namespace {

void still_works(emma::Engine& e) {
  const auto a = call(e, {{"op", "recommend"}, {"request", {{"limit", 3}}}, {"now", kNow}});
  REQUIRE(a.ok());
  CHECK(a.result().at("items").size() == 3);
}

}  // namespace

TEST_CASE("malformed JSON is refused with the byte where it broke", "[boundary]") {
  emma::Engine e;
  load_small(e);
  const auto a = call_raw(e, R"({"op":"recommend",)");
  CHECK(a.code() == "BAD_REQUEST");
  CHECK_THAT(a.message(), Catch::Contains("not valid JSON at byte"));
  still_works(e);
  CHECK(call_raw(e, "").code() == "BAD_REQUEST");
  CHECK(call_raw(e, "null").code() == "BAD_REQUEST");
  still_works(e);
}

TEST_CASE("a JSON value of the wrong type names the field", "[boundary]") {
  emma::Engine e;
  load_small(e);
  auto a = call(e, {{"op", "track"}, {"event", {{"type", "view"}, {"item", 85123}}}});
  CHECK(a.code() == "BAD_EVENT");
  CHECK_THAT(a.message(), Catch::Contains("event.item") && Catch::Contains("expected a string"));
  a = call(e, {{"op", 7}});
  CHECK(a.code() == "BAD_REQUEST");
  CHECK_THAT(a.message(), Catch::Contains("op"));
  a = call(e, {{"op", "recommend"}, {"request", {{"limit", "eight"}}}});
  CHECK_THAT(a.message(), Catch::Contains("request.limit"));
  a = call_raw(e, "[1,2,3]");
  CHECK_THAT(a.message(), Catch::Contains("must be a JSON object"));
  still_works(e);
}

TEST_CASE("a 1 MB string field is refused by its length", "[boundary]") {
  emma::Engine e;
  load_small(e);
  grant(e);
  const std::string huge(1 << 20, 'x');
  const auto a = call(e, {{"op", "track"}, {"event", {{"type", "view"}, {"item", huge}}}});
  CHECK(a.code() == "BAD_EVENT");
  CHECK_THAT(a.message(), Catch::Contains("1048576 bytes"));
  still_works(e);
}

TEST_CASE("arrays nested 100,000 deep are refused without exhausting the stack", "[boundary]") {
  emma::Engine e;
  load_small(e);
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  auto a = call_raw(e, deep);
  CHECK(a.code() == "BAD_REQUEST");
  CHECK_THAT(a.message(), Catch::Contains("nests deeper"));
  const std::string deep_field = R"({"op":"track","event":)" + std::string(100000, '[') +
                                 std::string(100000, ']') + "}";
  a = call_raw(e, deep_field);
  CHECK(a.code() == "BAD_REQUEST");
  still_works(e);
}

TEST_CASE("invalid UTF-8 is refused", "[boundary]") {
  emma::Engine e;
  load_small(e);
  const std::string bad = std::string(R"({"op":"track","event":{"type":"view","item":")") + "\xC3\x28" + "\"}}";
  const auto a = call_raw(e, bad);
  CHECK(a.code() == "BAD_REQUEST");
  CHECK_THAT(a.message(), Catch::Contains("UTF-8"));
  still_works(e);
  CHECK_FALSE(emma::is_valid_utf8("\xED\xA0\x80"));  // a lone surrogate
  CHECK_FALSE(emma::is_valid_utf8("\xC0\xAF"));      // overlong '/'
  CHECK(emma::is_valid_utf8("Stra\xC3\x9F" "e \xF0\x9F\x9B\x92"));
}

TEST_CASE("empty and truncated byte buffers are refused", "[boundary]") {
  emma::Engine e;
  load_small(e);
  auto a = call(e, {{"op", "bundle.load"}});
  CHECK(a.code() == "BAD_BUNDLE");
  CHECK_THAT(a.message(), Catch::Contains("empty"));
  still_works(e);

  const auto bundle = emma::bundle_from_catalog_json(small_catalog())->bytes;
  for (std::size_t cut : {std::size_t(3), std::size_t(31), bundle.size() / 2, bundle.size() - 1}) {
    std::vector<std::uint8_t> part(bundle.begin(), bundle.begin() + static_cast<std::ptrdiff_t>(cut));
    a = call(e, {{"op", "bundle.load"}}, part);
    INFO("cut at " << cut);
    CHECK(a.code() == "BAD_BUNDLE");
    still_works(e);
  }
  REQUIRE(call(e, {{"op", "vault.set_key"}, {"key_id", "k1"}}, std::vector<std::uint8_t>(32, 7)).ok());
  a = call(e, {{"op", "profile.open"}});
  CHECK(a.code() == "TAMPERED");
  a = call(e, {{"op", "profile.open"}}, {'E', 'M', 'P', 'F', 1});
  CHECK(a.code() == "TAMPERED");
  a = call(e, {{"op", "vault.set_key"}, {"key_id", "k2"}}, std::vector<std::uint8_t>(31, 7));
  CHECK(a.code() == "BAD_REQUEST");
  CHECK_THAT(a.message(), Catch::Contains("32 bytes"));
  still_works(e);
}

TEST_CASE("unknown operations and missing catalogs say so", "[boundary]") {
  emma::Engine e;
  auto a = call(e, {{"op", "recommend"}});
  CHECK(a.code() == "NO_BUNDLE");
  a = call(e, {{"op", "launch_rockets"}});
  CHECK(a.code() == "BAD_REQUEST");
  CHECK_THAT(a.message(), Catch::Contains("launch_rockets"));
  load_small(e);
  still_works(e);
}
