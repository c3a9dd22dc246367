#include "test_engine.hpp"

#include <cmath>

#include "core/bundle.hpp"
#include "core/error.hpp"

using namespace emma_test;

namespace {
std::vector<std::uint8_t> small_bundle() {
  const auto b = emma::bundle_from_catalog_json(small_catalog());
  return b->bytes;
}
}  // namespace

TEST_CASE("a bundle round-trips and loads into the engine", "[bundle]") {
  const auto bytes = small_bundle();
  const auto bundle = emma::read_bundle(bytes);
  const auto& catalog = bundle->catalog;
  CHECK(catalog.size() == 8);
  const auto* heart = catalog.find("85123A");
  REQUIRE(heart);
  CHECK(catalog.item_json(*heart).at("category") == json{"Home", "Candles"});
  CHECK(catalog.item_json(*heart).at("title") == "WHITE HANGING HEART T-LIGHT HOLDER");
  CHECK(bundle->model.windows.at(0).name == "catalog");
  // Unknown sections are skipped, so later writers can add what older engines ignore.
  auto sections = emma::read_container(bytes.data(), bytes.size());
  std::vector<std::pair<std::string, std::string>> copy;
  for (const auto& s : sections) copy.emplace_back(s.tag, std::string(s.payload));
  copy.emplace_back("XTRA", "ignored");
  CHECK(emma::read_bundle(emma::write_container(copy))->catalog.size() == 8);
  emma::Engine e;
  const auto a = call(e, {{"op", "bundle.load"}}, bytes);
  REQUIRE(a.ok());
  CHECK(a.result().at("items") == 8);
}

TEST_CASE("a damaged or foreign bundle is refused with what is wrong", "[bundle]") {
  auto bytes = small_bundle();
  auto refuse = [](const std::vector<std::uint8_t>& b, const char* code, const char* words) {
    try {
      emma::read_bundle(b);
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
  // Versions 1 (f32 scores, u32 indices) and 2 (content neighbours coded as NBRS) are no longer
  // read: the error names both versions.
  auto older = bytes;
  older[8] = 1;
  refuse(older, "UNSUPPORTED", "bundle format version 1 is no longer read by this engine (it reads version 3): rebuild the bundle with emma-model");
  older[8] = 2;
  refuse(older, "UNSUPPORTED", "bundle format version 2 is no longer read by this engine (it reads version 3): rebuild the bundle with emma-model");
  auto lying = emma::write_container({{"META", "{}"}});
  lying[36] = 0xFF;  // the section claims more bytes than there are; checksum covers it too
  refuse(lying, "BAD_BUNDLE", "");
  refuse(emma::write_container({{"NOPE", "x"}}), "BAD_BUNDLE", "no \"STRS\" section");
  // Sections whose indices point nowhere, with a valid checksum (as a hostile writer could).
  auto sections = emma::read_container(bytes.data(), bytes.size());
  auto with = [&](const std::string& tag, std::string payload) {
    std::vector<std::pair<std::string, std::string>> copy;
    for (const auto& s : sections) copy.emplace_back(s.tag, s.tag == tag ? payload : std::string(s.payload));
    return emma::write_container(copy);
  };
  std::string items;
  for (const auto& s : sections) if (s.tag == "ITEM") items = std::string(s.payload);
  std::string bad_string = items;
  bad_string.replace(4, 1, "\xFE\x7F");  // the first item's id is string 0 + 8191 (zigzag 16382): out of range
  refuse(with("ITEM", bad_string), "BAD_BUNDLE", "string index 8191 is out of range");
  bad_string = items;
  bad_string[4] = '\x01';  // -1: before the first string
  refuse(with("ITEM", bad_string), "BAD_BUNDLE", "string index -1 is out of range");
  refuse(with("ITEM", items.substr(0, items.size() - 3)), "BAD_BUNDLE", "ITEM");
  refuse(with("ITEM", items + "x"), "BAD_BUNDLE", "stray bytes");
  refuse(with("ITEM", std::string(items).replace(4, 1, "\xFF\xFF\xFF\xFF\xFF\x7F")), "BAD_BUNDLE", "over 5 bytes");
  refuse(with("POPW", std::string("\x01\x00\x00\x00", 4)), "BAD_BUNDLE", "POPW");
  refuse(with("STRS", std::string("\x00\x00\x00\x00", 4)), "BAD_BUNDLE", "STRS");
}

TEST_CASE("every header byte is checked: each flipped bit is refused", "[bundle]") {
  // The checksum covers bytes 32 on; the header's own fields are each validated instead.
  const auto bytes = small_bundle();
  for (std::size_t at = 0; at < 32; ++at) {
    for (int bit = 0; bit < 8; ++bit) {
      auto flipped = bytes;
      flipped[at] ^= static_cast<std::uint8_t>(1u << bit);
      INFO("byte " << at << " bit " << bit);
      CHECK_THROWS_AS(emma::read_bundle(flipped), emma::Error);
    }
  }
  auto flagged = bytes;
  flagged[11] = 0x04;
  try {
    emma::read_bundle(flagged);
    FAIL("accepted");
  } catch (const emma::Error& err) {
    CHECK(std::string(err.code()) == "BAD_BUNDLE");
    CHECK_THAT(err.what(), Catch::Contains("bytes 10-11 (reserved flags) are not 0"));
  }
}

TEST_CASE("a bundle with neighbours and windows round-trips", "[bundle]") {
  std::vector<emma::ItemInput> items(3);
  items[0].id = "a";
  items[1].id = "b";
  items[2].id = "c";
  items[2].category_path = {"X", "Y"};
  items[2].tags = {"t1", "t2"};
  items[2].attributes_json = R"({"colour":"red"})";
  emma::ModelInput m;
  m.windows = {{"7d", 7}, {"30d", 30}};
  m.popularity = {{1, 2, 3}, {4, 5, 6}};
  m.neighbours = {{{1, 0.5f}, {2, 0.25f}}, {}, {{0, 1.0f}}};
  m.rebuy_days = {10, 0, 30};
  m.rebuy_share = {0.5f, 0, 0.1f};
  items[0].price = 12.34;
  items[1].price = 1e6 + 0.07;
  const auto b = emma::read_bundle(emma::write_bundle(items, m, json{{"k", 5}}));
  // Prices in whole cents come back as the very double a feed's text parses to; unknown stays unknown.
  CHECK(b->catalog.item(0).price == 12.34);
  CHECK(b->catalog.item(1).price == 1e6 + 0.07);
  CHECK(b->catalog.item(2).price < 0);
  // Prices that are not whole cents are kept as they are (every price of the bundle as f64).
  items[2].price = 0.1 + 0.2;
  CHECK(emma::read_bundle(emma::write_bundle(items, m, json::object()))->catalog.item(2).price == 0.1 + 0.2);
  CHECK(b->meta.at("k") == 5);
  CHECK(b->model.popularity_of(b->model.window("30d"), 2) == 6);
  CHECK(b->model.default_window() == 1);
  auto [nb, ne] = b->model.neighbours_of(0);
  REQUIRE(ne - nb == 2);
  CHECK(nb->item == 1);
  CHECK(b->model.neighbours_of(1).first == b->model.neighbours_of(1).second);
  CHECK(b->model.rebuy_days[2] == 30);
  // Scores that are not whole numbers are quantised: powers of two exactly, others within 1.3e-4.
  CHECK(nb[0].score == 0.5f);
  CHECK(nb[1].score == 0.25f);
  CHECK(b->model.neighbours_of(2).first->score == 1.0f);
  CHECK(b->model.rebuy_share[0] == 0.5f);
  CHECK(std::abs(b->model.rebuy_share[2] - 0.1f) < 0.1f * 1.3e-4f);
  const auto j = b->catalog.item_json(b->catalog.item(2));
  CHECK(j.at("tags") == json{"t1", "t2"});
  CHECK(j.at("attributes").at("colour") == "red");
  CHECK(j.at("category") == json{"X", "Y"});
}

TEST_CASE("compact sections keep every figure in range and the neighbours' order", "[bundle]") {
  const std::size_t n = 300;
  std::vector<emma::ItemInput> items(n);
  emma::ModelInput m;
  m.windows = {{"30d", 30}, {"catalog", 0}};
  m.popularity.assign(2, std::vector<float>(n));
  m.neighbours.resize(n);
  m.similar.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    items[i].id = "SKU" + std::to_string(i);
    items[i].title = "Product " + std::to_string(i);
    m.popularity[0][i] = static_cast<float>(i * 1000003 % 70001);  // whole counts: exact
    m.popularity[1][i] = 0.37f * static_cast<float>(i);            // a feed's own figure
    // Co-purchase scores as model_builder makes them: B(i,j) / (B(i) + shrink), best first.
    for (std::uint32_t k = 0; k < 12; ++k) {
      m.neighbours[i].push_back({static_cast<std::uint32_t>((i * 7 + k * 31) % n), static_cast<float>((12 - k) / (i + 13 + emma::kNeighbourShrink))});
    }
    m.similar[i] = {{static_cast<std::uint32_t>((i + 9) % n), 0.9f}, {static_cast<std::uint32_t>((i + 2) % n), 0.5f}};
  }
  const auto b = emma::read_bundle(emma::write_bundle(items, m, json::object()));
  for (std::uint32_t i = 0; i < n; ++i) {
    INFO("item " << i);
    CHECK(b->model.popularity_of(0, i) == m.popularity[0][i]);
    CHECK(std::abs(b->model.popularity_of(1, i) - m.popularity[1][i]) <= m.popularity[1][i] * 1.3e-4f);
    auto [nb, ne] = b->model.neighbours_of(i);
    REQUIRE(ne - nb == 12);
    for (std::uint32_t k = 0; k < 12; ++k) {
      CHECK(nb[k].item == m.neighbours[i][k].item);  // the order is kept: best first
      CHECK(std::abs(nb[k].score - m.neighbours[i][k].score) <= m.neighbours[i][k].score * 1.3e-4f);
      if (k) CHECK(nb[k].score <= nb[k - 1].score);
    }
    // Content neighbours are a set with scores (in item order since version 2).
    auto [sb, se] = b->model.similar_of(i);
    REQUIRE(se - sb == 2);
    for (auto x = sb; x != se; ++x) {
      CHECK(x->score == (x->item == (i + 9) % n ? std::lround(0.9f * 255) : std::lround(0.5f * 255)) / 255.f);
    }
  }
  // A neighbour item outside the catalog, with a valid checksum, is refused naming the section.
  m.neighbours[5][3].item = static_cast<std::uint32_t>(n);
  try {
    emma::read_bundle(emma::write_bundle(items, m, json::object()));
    FAIL("accepted");
  } catch (const emma::Error& err) {
    CHECK_THAT(err.what(), Catch::Contains("\"NBRS\"") && Catch::Contains("neighbour item index 300 is out of range"));
  }
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
  a = call(e, {{"op", "catalog.load"}, {"catalog", {{"items", {{{"id", "a"}}, {{"id", "a"}}}}}}});
  CHECK_THAT(a.message(), Catch::Contains("catalog.items[1].id") && Catch::Contains("more than once"));
  // A failed load leaves the previous catalog in place.
  load_small(e);
  a = call(e, {{"op", "catalog.load"}, {"catalog", {{"items", 5}}}});
  CHECK(a.code() == "BAD_BUNDLE");
  CHECK(call(e, {{"op", "engine.info"}}).result().at("items") == 8);
}
