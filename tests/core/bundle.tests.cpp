#include "test_engine.hpp"

#include "core/bundle.hpp"
#include "core/error.hpp"

using namespace emma_test;

TEST_CASE("a bundle round-trips and loads into the engine", "[bundle]") {
  const auto bytes = emma::write_bundle({{"CATJ", small_catalog().dump()}, {"XTRA", "ignored"}});
  const auto catalog = emma::read_bundle(bytes.data(), bytes.size());
  CHECK(catalog.size() == 8);
  CHECK(catalog.find("85123A")->category_path == std::vector<std::string>{"Home", "Candles"});
  emma::Engine e;
  const auto a = call(e, {{"op", "bundle.load"}}, bytes);
  REQUIRE(a.ok());
  CHECK(a.result().at("items") == 8);
}

TEST_CASE("a damaged or foreign bundle is refused with what is wrong", "[bundle]") {
  auto bytes = emma::write_bundle({{"CATJ", small_catalog().dump()}});
  auto refuse = [](const std::vector<std::uint8_t>& b, const char* code, const char* words) {
    try {
      emma::read_bundle(b.data(), b.size());
      FAIL("accepted");
    } catch (const emma::Error& err) {
      CHECK(err.code() == code);
      CHECK_THAT(err.what(), Catch::Contains(words));
    }
  };
  auto flipped = bytes;
  flipped[flipped.size() / 2] ^= 0x01;
  refuse(flipped, "BAD_BUNDLE", "checksum");
  const std::string html = "<!DOCTYPE html><html><body>404 Not Found</body></html>";
  refuse(std::vector<std::uint8_t>(html.begin(), html.end()), "BAD_BUNDLE", "HTML");
  auto newer = bytes;
  newer[8] = 9;
  refuse(newer, "UNSUPPORTED", "newer");
  auto lying = emma::write_bundle({{"CATJ", "{}"}});
  lying[36] = 0xFF;  // the section claims more bytes than there are; checksum covers it too
  refuse(lying, "BAD_BUNDLE", "");
  refuse(emma::write_bundle({{"NOPE", "x"}}), "BAD_BUNDLE", "no catalog section");
  refuse(emma::write_bundle({{"CATJ", R"({"items":[{"id":"a"},{"id":"a"}]})"}}), "BAD_BUNDLE",
         "catalog.items[1].id");
}

TEST_CASE("catalog fields are validated with their path", "[bundle]") {
  emma::Engine e;
  auto a = call(e, {{"op", "catalog.load"}, {"catalog", {{"items", {{{"id", "a"}, {"price", -1}}}}}}});
  CHECK(a.code() == "BAD_BUNDLE");
  CHECK_THAT(a.message(), Catch::Contains("catalog.items[0].price"));
  a = call(e, {{"op", "catalog.load"}, {"catalog", {{"items", {{{"title", "no id"}}}}}}});
  CHECK_THAT(a.message(), Catch::Contains("catalog.items[0].id"));
  a = call(e, {{"op", "catalog.load"}, {"catalog", {{"items", {{{"id", "x"}, {"category", {{"a", 1}}}}}}}}});
  CHECK_THAT(a.message(), Catch::Contains("catalog.items[0].category"));
  // A failed load leaves the previous catalog in place.
  load_small(e);
  a = call(e, {{"op", "catalog.load"}, {"catalog", {{"items", 5}}}});
  CHECK(a.code() == "BAD_BUNDLE");
  CHECK(call(e, {{"op", "engine.info"}}).result().at("items") == 8);
}
