// Variant ids a page may name (docs/bundle-tool.md, "Variants"): emma-model folds a product's
// variants into one item and lists their ids in attributes.variants; the engine resolves such
// an id to its product wherever an item id comes from the page (Catalog::find).
#include "test_engine.hpp"

#include <algorithm>
#include <map>

#include "core/bundle.hpp"
#include "core/shard_writer.hpp"
#include "core/shards.hpp"

using namespace emma_test;

namespace {

// Two shirts with sizes, a mug without variants, and a hat whose variant list names the mug's
// own id (the collision rule: an item's own id wins).
json variant_catalog() {
  json items = json::array();
  auto add = [&](const char* id, const char* cat, double pop, json variants) {
    json it = {{"id", id}, {"title", std::string("Title of ") + id}, {"category", cat}, {"popularity", pop}, {"price", 20}};
    if (!variants.is_null()) it["attributes"] = {{"variants", variants}, {"material", "linen"}};
    items.push_back(it);
  };
  add("linen-shirt", "Clothing > Shirts", 50, {"LS-S", "LS-M", "LS-L"});
  add("oxford-shirt", "Clothing > Shirts", 60, {"OX-S", "OX-M"});
  add("mug", "Kitchen > Mugs", 90, nullptr);
  add("hat", "Clothing > Hats", 70, {"HAT-1", "mug"});
  add("socks", "Clothing > Socks", 40, nullptr);
  return {{"items", items}};
}

void load_variants(emma::Engine& e) {
  REQUIRE(call(e, {{"op", "configure"}, {"shop", "test-shop"}}).ok());
  REQUIRE(call(e, {{"op", "catalog.load"}, {"catalog", variant_catalog()}}).ok());
}

Answer ask(emma::Engine& e, const json& request) { return call(e, {{"op", "recommend"}, {"request", request}, {"now", kNow}}); }

}  // namespace

TEST_CASE("a tracked variant id is kept as its product's id", "[variants][engine]") {
  emma::Engine e;
  load_variants(e);
  grant(e);
  REQUIRE(call(e, {{"op", "track"}, {"event", {{"type", "view"}, {"item", "LS-M"}}}, {"now", kNow}}).ok());
  // A cart and a purchase of two sizes: one product in the cart, bought twice.
  REQUIRE(call(e, {{"op", "track"}, {"events", {{{"type", "add_to_cart"}, {"item", "LS-S"}},
                                                 {{"type", "add_to_cart"}, {"item", "LS-L"}},
                                                 {{"type", "purchase"}, {"item", "LS-S"}, {"at", kNow - 5}},
                                                 {{"type", "purchase"}, {"item", "LS-L"}, {"at", kNow - 5}}}},
                   {"now", kNow}})
              .ok());
  const json x = call(e, {{"op", "profile.export"}, {"now", kNow}}).result();
  INFO(x.dump());
  CHECK(x.at("interests").at("items").size() == 1);
  CHECK(x.at("interests").at("items").contains("linen-shirt"));
  CHECK(x.at("recently_viewed").at(0).at("item") == "linen-shirt");
  CHECK(x.at("recently_viewed").at(0).at("title") == "Title of linen-shirt");
  CHECK(x.at("purchases").size() == 2);
  for (const auto& p : x.at("purchases")) CHECK(p.at("item") == "linen-shirt");
  // The product's category learned from the variant's view.
  CHECK(x.at("interests").at("categories").contains("Clothing/Shirts"));
  // recently_viewed answers the product.
  CHECK(ids_of(ask(e, {{"scenario", "recently_viewed"}})) == std::vector<std::string>{"linen-shirt"});

  // What is sealed is the product id too: a reload replays the same profile.
  std::vector<std::uint8_t> key(32, 7);
  REQUIRE(call(e, {{"op", "vault.set_key"}, {"key_id", "k1"}}, key).ok());
  const Answer sealed = call(e, {{"op", "profile.seal"}, {"now", kNow}});
  REQUIRE(sealed.ok());
  emma::Engine again;
  REQUIRE(call(again, {{"op", "configure"}, {"shop", "test-shop"}}).ok());
  REQUIRE(call(again, {{"op", "vault.set_key"}, {"key_id", "k1"}}, key).ok());
  REQUIRE(call(again, {{"op", "profile.open"}, {"now", kNow}}, sealed.bytes).ok());  // no bundle loaded yet
  const json y = call(again, {{"op", "profile.export"}, {"now", kNow}}).result();
  CHECK(y.at("interests").at("items") == x.at("interests").at("items"));
  REQUIRE(y.at("purchases").size() == 2);
  for (const auto& p : y.at("purchases")) CHECK(p.at("item") == "linen-shirt");

  // Forgetting by a variant id forgets the product.
  CHECK(call(e, {{"op", "profile.forget"}, {"item", "LS-M"}, {"now", kNow}}).result().at("forgotten").get<int>() >= 1);
  CHECK(call(e, {{"op", "profile.export"}, {"now", kNow}}).result().at("interests").at("items").empty());
}

TEST_CASE("a request's item, items and rules may name variant ids", "[variants][recommend]") {
  emma::Engine e;
  load_variants(e);
  // similar to a variant: the product's neighbours, never the product itself.
  const Answer similar = ask(e, {{"scenario", "similar"}, {"item", "OX-M"}, {"limit", 4}});
  REQUIRE(similar.ok());
  const auto sim = ids_of(similar);
  CHECK(std::find(sim.begin(), sim.end(), "oxford-shirt") == sim.end());
  CHECK(sim.front() == "linen-shirt");  // the same category
  // A variant unknown to the bundle is still refused, naming the field.
  const Answer unknown = ask(e, {{"scenario", "similar"}, {"item", "LS-XXL"}});
  CHECK(unknown.code() == "BAD_REQUEST");
  CHECK(unknown.message().find("request.item: \"LS-XXL\" is not in the catalog") != std::string::npos);
  // rules: excludeItems and pin by a variant id name the product.
  const auto trending = ids_of(ask(e, {{"scenario", "trending"}, {"limit", 5}, {"rules", {{"excludeItems", {"HAT-1"}}}}}));
  CHECK(std::find(trending.begin(), trending.end(), "hat") == trending.end());
  const auto pinned = ids_of(ask(e, {{"scenario", "trending"}, {"limit", 3}, {"rules", {{"pin", {{{"item", "LS-L"}, {"position", 0}}}}}}}));
  CHECK(pinned.front() == "linen-shirt");
  CHECK(ask(e, {{"scenario", "trending"}, {"rules", {{"pin", {{{"item", "LS-XL"}, {"position", 0}}}}}}}).message() ==
        "request.rules.pin: \"LS-XL\" is not in the catalog");
  // explain by a variant id.
  CHECK(call(e, {{"op", "explain"}, {"item", "LS-S"}, {"now", kNow}}).ok());
}

TEST_CASE("rerank answers a listing of variant ids with the page's own ids", "[variants][recommend]") {
  emma::Engine e;
  load_variants(e);
  // The shop's order stands without a profile; each product once, under the first id naming
  // it (LS-L is the second size of the linen shirt: left out, as a repeated id is).
  const Answer a = ask(e, {{"scenario", "rerank"}, {"items", {"OX-S", "LS-M", "mug", "LS-L", "NOPE-1"}}});
  REQUIRE(a.ok());
  CHECK(ids_of(a) == std::vector<std::string>{"OX-S", "LS-M", "mug"});
  // The rest of each answer is the product's.
  CHECK(a.result().at("items").at(1).at("title") == "Title of linen-shirt");
  CHECK(a.result().at("items").at(1).at("attributes").at("material") == "linen");

  // With a profile the shopper's interest moves its product up, under the page's id.
  grant(e);
  REQUIRE(call(e, {{"op", "track"}, {"event", {{"type", "purchase"}, {"item", "socks"}}}, {"now", kNow - 1000}}).ok());
  for (int k = 0; k < 3; ++k) {
    REQUIRE(call(e, {{"op", "track"}, {"event", {{"type", "view"}, {"item", "LS-S"}}}, {"now", kNow}}).ok());
  }
  const auto moved = ids_of(ask(e, {{"scenario", "rerank"}, {"items", {"mug", "HAT-1", "LS-M"}}}));
  CHECK(moved.front() == "LS-M");
  CHECK(moved.size() == 3);
}

TEST_CASE("an item's own id wins over another item's variant id", "[variants][catalog]") {
  emma::Engine e;
  load_variants(e);
  grant(e);
  // "hat" lists "mug" as a variant, but "mug" is an item of its own.
  REQUIRE(call(e, {{"op", "track"}, {"event", {{"type", "view"}, {"item", "mug"}}}, {"now", kNow}}).ok());
  REQUIRE(call(e, {{"op", "track"}, {"event", {{"type", "view"}, {"item", "HAT-1"}}}, {"now", kNow}}).ok());
  const json items = call(e, {{"op", "profile.export"}, {"now", kNow}}).result().at("interests").at("items");
  CHECK(items.contains("mug"));
  CHECK(items.contains("hat"));
  CHECK(items.size() == 2);
  const auto sim = ids_of(ask(e, {{"scenario", "similar"}, {"item", "mug"}, {"limit", 4}}));
  CHECK(std::find(sim.begin(), sim.end(), "mug") == sim.end());
  CHECK(std::find(sim.begin(), sim.end(), "hat") != sim.end());  // mug's own id, not hat's variant
}

TEST_CASE("a tracked id unknown to the bundle is kept as sent", "[variants][engine]") {
  emma::Engine e;
  load_variants(e);
  grant(e);
  REQUIRE(call(e, {{"op", "track"}, {"event", {{"type", "view"}, {"item", "LS-XXL"}}}, {"now", kNow}}).ok());
  CHECK(call(e, {{"op", "profile.export"}, {"now", kNow}}).result().at("interests").at("items").contains("LS-XXL"));
  // A malformed id is refused with its field path, as before.
  const Answer bad = call(e, {{"op", "track"}, {"events", {{{"type", "view"}, {"item", "LS-S"}}, {{"type", "view"}, {"item", 5}}}}, {"now", kNow}});
  CHECK(bad.code() == "BAD_EVENT");
  CHECK(bad.message().rfind("events[1]: event.item", 0) == 0);
}

namespace {

// 300 products of 3 variants each ("V<i>-S", "-M", "-L"), neighbours in their own line,
// split into ~20 shards: most variant ids hash to another shard than their product's.
struct VariantShards {
  std::vector<std::uint8_t> whole, head;
  std::map<std::string, std::vector<std::uint8_t>> shards;
  std::uint32_t count = 0;
};

const VariantShards& variant_shards() {
  static const VariantShards s = [] {
    VariantShards out;
    const std::uint32_t n = 300;
    std::vector<emma::ItemInput> items;
    emma::ModelInput m;
    m.windows = {{"all", 0}};
    m.popularity.assign(1, {});
    m.neighbours.resize(n);
    for (std::uint32_t i = 0; i < n; ++i) {
      emma::ItemInput it;
      it.id = "prod-" + std::to_string(i);
      it.title = "Product " + std::to_string(i);
      it.category_path = {"Line " + std::to_string(i % 6)};
      it.attributes_json = json{{"variants", {"V" + std::to_string(i) + "-S", "V" + std::to_string(i) + "-M", "V" + std::to_string(i) + "-L"}}}.dump();
      items.push_back(it);
      m.popularity[0].push_back(static_cast<float>((i * 7919) % 997));
      for (std::uint32_t k = 1; k <= 4; ++k) m.neighbours[i].push_back({(i + 6 * k * 11) % n, 1.0f / static_cast<float>(k + 1)});
    }
    out.whole = emma::write_bundle(items, m, json{{"tool", "test"}});
    emma::ShardOptions o;
    o.shard_items = 15;
    o.head_items = 10;
    o.head_per_category = 2;
    auto split = emma::split_bundle(*emma::read_bundle(out.whole), "shop", o);
    out.head = std::move(split.head);
    for (auto& [name, bytes] : split.shards) out.shards[name] = std::move(bytes);
    out.count = static_cast<std::uint32_t>(out.shards.size());
    return out;
  }();
  return s;
}

// What js-bindings/src/shards.js does before a request: up to two rounds of fetching what the
// engine names, each name once. The names fetched, a round each.
using Rounds = std::vector<std::vector<std::string>>;
Rounds fetch_for(emma::Engine& e, const json& request) {
  Rounds rounds;
  for (int round = 0; round < 2; ++round) {
    const auto need = call(e, {{"op", "shards.needed"}, {"request", request}});
    REQUIRE(need.ok());
    if (need.result().at("fetch").empty()) break;
    rounds.emplace_back();
    for (const auto& name : need.result().at("fetch")) {
      const std::string file = name.get<std::string>();
      rounds.back().push_back(file);
      REQUIRE(call(e, {{"op", "shard.load"}, {"name", file}}, variant_shards().shards.at(file)).ok());
    }
  }
  return rounds;
}

std::string shard_name(const std::string& id) {
  const auto& s = variant_shards();
  const std::uint32_t k = emma::shard_of(id, s.count);
  for (const auto& [name, bytes] : s.shards) {
    if (emma::read_bundle(bytes)->meta.at("shard") == k) return name;
  }
  return "";
}

}  // namespace

TEST_CASE("a sharded catalog: a page naming a variant fetches its shard, then its product's", "[variants][shards]") {
  const auto& s = variant_shards();
  REQUIRE(s.count > 10);
  emma::Engine whole;
  REQUIRE(call(whole, {{"op", "configure"}, {"shop", "test-shop"}}).ok());
  REQUIRE(call(whole, {{"op", "bundle.load"}}, s.whole).ok());
  int checked = 0, two_rounds = 0;
  for (int i = 0; i < 300 && checked < 8; i += 7) {
    const std::string variant = "V" + std::to_string(i) + "-M", product = "prod-" + std::to_string(i);
    if (emma::shard_of(variant, s.count) == emma::shard_of(product, s.count)) continue;
    ++checked;
    INFO(variant);
    emma::Engine part;
    REQUIRE(call(part, {{"op", "configure"}, {"shop", "test-shop"}}).ok());
    REQUIRE(call(part, {{"op", "bundle.load"}}, s.head).ok());
    const json request = {{"scenario", "similar"}, {"item", variant}, {"limit", 4}};
    // The variant's shard (its redirect), then its product's: nothing else. One round when the
    // head holds the product (the head is the same for everyone), else two.
    const Rounds rounds = fetch_for(part, request);
    std::vector<std::string> names;
    for (const auto& r : rounds) names.insert(names.end(), r.begin(), r.end());
    CHECK(names == std::vector<std::string>{shard_name(variant), shard_name(product)});
    two_rounds += rounds.size() == 2;
    const Answer a = call(part, {{"op", "recommend"}, {"request", request}, {"now", kNow}});
    const Answer b = call(whole, {{"op", "recommend"}, {"request", request}, {"now", kNow}});
    REQUIRE(a.ok());
    CHECK(a.result().at("partial") == false);
    CHECK(ids_of(a) == ids_of(b));
    // A view of the variant on that page is kept as the product.
    grant(part);
    REQUIRE(call(part, {{"op", "track"}, {"event", {{"type", "view"}, {"item", variant}}}, {"now", kNow}}).ok());
    CHECK(call(part, {{"op", "profile.export"}, {"now", kNow}}).result().at("interests").at("items").contains(product));
    CHECK(fetch_for(part, request).empty());
    // A later visit of this shopper (their product's shard remembered with the profile) fetches
    // what a newcomer does, in the same rounds: the profile changes no request.
    const std::vector<std::uint8_t> key(32, 9);
    REQUIRE(call(part, {{"op", "vault.set_key"}, {"key_id", "k"}}, key).ok());
    const auto sealed = call(part, {{"op", "profile.seal"}, {"now", kNow}}).bytes;
    emma::Engine later;
    REQUIRE(call(later, {{"op", "configure"}, {"shop", "test-shop"}}).ok());
    REQUIRE(call(later, {{"op", "bundle.load"}}, s.head).ok());
    REQUIRE(call(later, {{"op", "vault.set_key"}, {"key_id", "k"}}, key).ok());
    REQUIRE(call(later, {{"op", "profile.open"}, {"now", kNow}}, sealed).ok());
    // The product's record and lists came with the profile: for_you on a page that names
    // nothing lacks nothing.
    const Answer home = call(later, {{"op", "recommend"}, {"request", {{"scenario", "for_you"}}}, {"now", kNow}});
    REQUIRE(home.ok());
    CHECK(home.result().at("partial") == false);
    CHECK(fetch_for(later, request) == rounds);
  }
  CHECK(checked == 8);
  CHECK(two_rounds >= 4);
  // Before its shard is loaded, the head answers that a variant's page lacks data.
  emma::Engine cold;
  REQUIRE(call(cold, {{"op", "configure"}, {"shop", "test-shop"}}).ok());
  REQUIRE(call(cold, {{"op", "bundle.load"}}, s.head).ok());
  const Answer c = call(cold, {{"op", "recommend"}, {"request", {{"scenario", "trending"}, {"items", {"V5-S"}}}}, {"now", kNow}});
  REQUIRE(c.ok());
  CHECK(c.result().at("partial") == true);
}
