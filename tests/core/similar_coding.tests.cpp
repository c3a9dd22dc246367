// SIMS in bundle format 3: content neighbours coded against the catalog (a bit for a neighbour
// that lists the anchor back, a position in the anchor's leaf category, an item index for the
// rest). What the builder computes must come back exactly, and a hostile section is refused.
#include "test_engine.hpp"

#include <algorithm>
#include <cmath>

#include "core/bundle.hpp"
#include "core/bytes.hpp"
#include "core/content_similarity.hpp"
#include "core/error.hpp"

using emma::json;

namespace {

// The synthetic shop of src/tools/bench/synth.mjs in small: 20 x 10 lines, 50 brands, prices.
std::vector<emma::ItemInput> synthetic_items(std::size_t n) {
  std::vector<emma::ItemInput> items(n);
  std::uint32_t s = 7;
  auto next = [&] { return (s = s * 1103515245u + 12345u) >> 8; };
  for (std::size_t i = 0; i < n; ++i) {
    const auto top = std::to_string(i % 20), sub = std::to_string(i / 20 % 10);
    auto& it = items[i];
    it.id = "SKU" + std::to_string(i);
    it.title = "Product " + std::to_string(i) + " of line " + top + "-" + sub;
    it.category_path = {"Dept " + top, "Line " + top + "-" + sub};
    it.brand = "Brand " + std::to_string(next() % 50);
    it.price = static_cast<double>(next() % 10000) / 100.0;
  }
  return items;
}

// What the reader must give back: each list in item order, each score as its byte in 1/255.
std::vector<std::vector<emma::Neighbour>> expected(std::vector<std::vector<emma::Neighbour>> lists) {
  for (auto& list : lists) {
    for (auto& x : list) x.score = static_cast<float>(std::lround(std::clamp(x.score, 1.f / 255, 1.f) * 255)) / 255.f;
    std::sort(list.begin(), list.end(), [](const emma::Neighbour& a, const emma::Neighbour& b) {
      return a.item != b.item ? a.item < b.item : a.score < b.score;
    });
  }
  return lists;
}

// Format 2's coding of the same lists (item deltas from the anchor, a byte per score): the
// size the new coding is measured against.
std::size_t format2_bytes(const std::vector<std::vector<emma::Neighbour>>& lists) {
  emma::ByteWriter w;
  w.u32(static_cast<std::uint32_t>(lists.size()));
  for (const auto& list : lists) w.varint(static_cast<std::uint32_t>(list.size()));
  for (std::size_t i = 0; i < lists.size(); ++i) {
    std::int64_t prev = static_cast<std::int64_t>(i);
    auto list = lists[i];
    std::sort(list.begin(), list.end(), [](const emma::Neighbour& a, const emma::Neighbour& b) { return a.item < b.item; });
    for (const auto& x : list) w.svarint(static_cast<std::int64_t>(x.item) - prev), prev = x.item;
  }
  for (const auto& list : lists) for (std::size_t k = 0; k < list.size(); ++k) w.u8(0);
  return w.size();
}

void check_round_trip(const std::vector<emma::ItemInput>& items, const std::vector<std::vector<emma::Neighbour>>& similar) {
  emma::ModelInput m;
  m.windows = {{"catalog", 0}};
  m.popularity.assign(1, std::vector<float>(items.size()));
  m.similar = similar;
  const auto b = emma::read_bundle(emma::write_bundle(items, m, json::object()));
  const auto want = expected(similar);
  for (std::uint32_t i = 0; i < items.size(); ++i) {
    INFO("item " << i);
    auto [sb, se] = b->model.similar_of(i);
    REQUIRE(static_cast<std::size_t>(se - sb) == want[i].size());
    for (std::size_t k = 0; k < want[i].size(); ++k) {
      CHECK(sb[k].item == want[i][k].item);
      CHECK(sb[k].score == want[i][k].score);
    }
  }
}

std::string sims_of(const std::vector<std::uint8_t>& bytes) {
  for (const auto& s : emma::read_container(bytes.data(), bytes.size())) {
    if (s.tag == "SIMS") return std::string(s.payload);
  }
  return {};
}

}  // namespace

TEST_CASE("content neighbours of a synthetic shop come back exactly, in fewer bytes than format 2", "[bundle][similar]") {
  const auto items = synthetic_items(6000);
  const auto similar = emma::content_neighbours(items);
  std::size_t total = 0;
  for (const auto& list : similar) total += list.size();
  REQUIRE(total > items.size() * 6);
  check_round_trip(items, similar);
  emma::ModelInput m;
  m.windows = {{"catalog", 0}};
  m.popularity.assign(1, std::vector<float>(items.size()));
  m.similar = similar;
  const std::size_t bytes = sims_of(emma::write_bundle(items, m, json::object())).size();
  const std::size_t before = format2_bytes(similar);
  INFO("SIMS " << bytes << " bytes, format 2 " << before);
  CHECK(bytes * 4 < before * 3);
}

TEST_CASE("content neighbours across categories, without one, and odd lists come back exactly", "[bundle][similar]") {
  // Half the items have no category; the builder's neighbours cross leaves (escapes).
  auto items = synthetic_items(400);
  for (std::size_t i = 0; i < items.size(); i += 2) items[i].category_path.clear();
  for (std::size_t i = 1; i < items.size(); i += 6) items[i].category_path = {"Dept " + std::to_string(i % 3)};
  auto similar = emma::content_neighbours(items);
  // Lists a builder could also write: the anchor itself, an item twice, a neighbour that lists
  // the anchor back with another score, a long list, an empty one.
  similar[10] = {{10, 0.5f}, {3, 0.9f}, {3, 0.9f}, {399, 0.2f}};
  similar[3] = {{10, 0.9f}, {11, 0.4f}};
  similar[11] = {{3, 0.7f}};
  similar[20].clear();
  similar[30].clear();
  for (std::uint32_t j = 0; j < 300; ++j) similar[30].push_back({(j * 7) % 400, 0.3f});
  check_round_trip(items, similar);
}

TEST_CASE("a malformed SIMS section is refused naming it", "[bundle][similar]") {
  // Three items of one category: 0 lists 1, 1 lists 0 back (one bit), 2 lists nothing.
  std::vector<emma::ItemInput> items(3);
  for (std::size_t i = 0; i < 3; ++i) items[i].id = "i" + std::to_string(i), items[i].category_path = {"C"};
  emma::ModelInput m;
  m.windows = {{"catalog", 0}};
  m.popularity.assign(1, std::vector<float>(3));
  m.similar = {{{1, 0.5f}}, {{0, 0.5f}}, {}};
  const auto good = emma::write_bundle(items, m, json::object());
  const std::string sims = sims_of(good);
  // u32 count; lengths 1 1 0; 1 bit byte; 1 score byte; bits: item 0's neighbour is a
  // position in its category (0), item 1 lists item 0 back (1); score 128; code: position +1.
  REQUIRE(sims == std::string("\x03\x00\x00\x00\x01\x01\x00\x01\x01\x02\x80\x02", 12));
  auto sections = emma::read_container(good.data(), good.size());
  auto refuse = [&](const std::string& payload, const char* words) {
    std::vector<std::pair<std::string, std::string>> copy;
    for (const auto& s : sections) copy.emplace_back(s.tag, s.tag == "SIMS" ? payload : std::string(s.payload));
    try {
      emma::read_bundle(emma::write_container(copy));
      FAIL("accepted");
    } catch (const emma::Error& err) {
      CHECK(err.code() == "BAD_BUNDLE");
      CHECK_THAT(err.what(), Catch::Contains("\"SIMS") && Catch::Contains(words));
    }
  };
  auto with = [&](std::size_t at, const std::string& bytes) { return std::string(sims).replace(at, bytes.size(), bytes); };
  refuse(with(5, std::string("\x00", 1)), "the bits or scores do not match the list lengths");
  refuse(with(11, "\x06"), "neighbour item index 3 is out of range");
  refuse(with(9, "\x03").replace(11, 1, "\x05"), "neighbour item index -3 is out of range");
  refuse(with(7, std::string("\x00", 1)), "the bits or scores do not match the list lengths");
  refuse(with(8, "\x02"), "");  // the scores would run into the codes
  refuse(sims + "\x01", "stray bytes");
  refuse(with(4, "\x7F"), "longer than the section");
}
