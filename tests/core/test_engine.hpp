// Helpers to drive an Engine exactly as the wasm boundary does: JSON text in, JSON text out.
#pragma once
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "core/engine.hpp"

namespace emma_test {

using emma::json;

struct Answer {
  json doc;
  std::vector<std::uint8_t> bytes;
  bool ok() const { return doc.contains("result"); }
  const json& result() const { return doc.at("result"); }
  std::string code() const { return ok() ? "" : doc.at("error").at("code").get<std::string>(); }
  std::string message() const { return ok() ? "" : doc.at("error").at("message").get<std::string>(); }
};

inline Answer call_raw(emma::Engine& e, const std::string& text, const std::vector<std::uint8_t>& bytes = {}) {
  auto r = e.handle(text, bytes.empty() ? nullptr : bytes.data(), bytes.size());
  Answer a{json::parse(r.json), std::move(r.bytes)};  // the answer itself must always be JSON
  INFO(r.json);
  REQUIRE((a.doc.contains("result") != a.doc.contains("error")));
  return a;
}

inline Answer call(emma::Engine& e, const json& msg, const std::vector<std::uint8_t>& bytes = {}) {
  return call_raw(e, msg.dump(), bytes);
}

// A small catalog: two categories of candles, one of mugs, one of bags.
inline json small_catalog() {
  json items = json::array();
  auto add = [&](const char* id, const char* title, const char* cat, double pop, bool stock = true) {
    items.push_back({{"id", id}, {"title", title}, {"category", cat}, {"popularity", pop},
                     {"price", 2.5}, {"currency", "GBP"}, {"in_stock", stock}});
  };
  add("85123A", "WHITE HANGING HEART T-LIGHT HOLDER", "Home > Candles", 100);
  add("71053", "WHITE METAL LANTERN", "Home > Candles", 40);
  add("21733", "RED HANGING HEART T-LIGHT HOLDER", "Home > Candles", 30);
  add("22720", "SET OF 3 CAKE TINS PANTRY DESIGN", "Kitchen > Baking", 90);
  add("22423", "REGENCY CAKESTAND 3 TIER", "Kitchen > Baking", 95);
  add("37370", "RETRO COFFEE MUGS ASSORTED", "Kitchen > Mugs", 20);
  add("85099B", "JUMBO BAG RED RETROSPOT", "Bags", 98);
  add("20725", "LUNCH BAG RED RETROSPOT", "Bags", 80, false);
  return {{"items", items}};
}

constexpr std::int64_t kNow = 1'764'000'000'000;  // a fixed "now", ms

inline void load_small(emma::Engine& e) {
  REQUIRE(call(e, {{"op", "configure"}, {"shop", "test-shop"}}).ok());
  REQUIRE(call(e, {{"op", "catalog.load"}, {"catalog", small_catalog()}}).ok());
}

inline void grant(emma::Engine& e) {
  REQUIRE(call(e, {{"op", "consent.grant"}, {"purpose", "personalization"}, {"version", "2026-11"},
                   {"text", "Personalize my shop"}, {"source", "banner"}, {"now", kNow}})
              .ok());
}

inline std::vector<std::string> ids_of(const Answer& a) {
  std::vector<std::string> ids;
  for (const auto& it : a.result().at("items")) ids.push_back(it.at("id").get<std::string>());
  return ids;
}

}  // namespace emma_test
