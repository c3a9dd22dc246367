// "similar" means alike (issue 18): content neighbours computed from the catalog (SIMS),
// similar ranking substitutes, bought_together keeping near-duplicates out.
#include "test_engine.hpp"

#include <algorithm>

#include "core/bundle.hpp"
#include "core/content_similarity.hpp"

using namespace emma_test;

namespace {

using V = std::vector<std::string>;

emma::ItemInput item(const char* id, const char* title, std::vector<std::string> cat, const char* brand, double price,
                     const char* attrs = "") {
  emma::ItemInput it;
  it.id = id;
  it.title = title;
  it.category_path = std::move(cat);
  it.brand = brand;
  it.price = price;
  it.attributes_json = attrs;
  return it;
}

std::vector<std::string> neighbour_ids(const std::vector<emma::ItemInput>& items, const std::vector<emma::Neighbour>& list) {
  std::vector<std::string> out;
  for (const auto& n : list) out.push_back(items[n.item].id);
  return out;
}

bool has(const V& v, const std::string& x) { return std::find(v.begin(), v.end(), x) != v.end(); }

// A candle shop: three heart holders (two of one brand), a lantern, two complements that are
// bought with the white heart, a kitchen item, and a garden item alone in its category.
std::vector<emma::ItemInput> shop_items() {
  return {
      item("h1", "White Hanging Heart T-Light Holder", {"Home", "Candles"}, "Müller", 2.95),
      item("h2", "Red Hanging Heart T-Light Holder", {"Home", "Candles"}, "Müller", 2.95),
      item("h3", "Zinc Heart T-Light Holder", {"Home", "Candles"}, "Zinko", 5.50),
      item("l1", "White Metal Lantern", {"Home", "Candles"}, "Zinko", 4.25),
      item("b1", "Party Bunting", {"Home", "Decor"}, "", 4.95),
      item("f1", "Picture Frame", {"Home", "Decor"}, "", 2.10),
      item("m1", "Retro Coffee Mug", {"Kitchen", "Mugs"}, "", 2.50),
      item("g1", "Doormat", {"Garden"}, "", 7.95),
  };
}

std::vector<std::uint8_t> shop_bundle(bool with_sims = true) {
  const auto items = shop_items();
  emma::ModelInput m;
  m.windows = {{"30d", 30}};
  m.popularity = {{5, 4, 3, 2, 9, 8, 7, 6}};
  m.neighbours.resize(items.size());
  m.neighbours[0] = {{4, 0.9f}, {5, 0.8f}, {1, 0.7f}};  // h1 is bought with bunting, a frame, the red heart
  if (with_sims) m.similar = emma::content_neighbours(items);
  return emma::write_bundle(items, m, json::object());
}

struct Shop {
  emma::Engine e;
  explicit Shop(bool with_sims = true) {
    REQUIRE(call(e, {{"op", "configure"}, {"shop", "s"}}).ok());
    REQUIRE(call(e, {{"op", "bundle.load"}}, shop_bundle(with_sims)).ok());
  }
  Answer ask(json request) { return call(e, {{"op", "recommend"}, {"request", request}, {"now", kNow}}); }
  V ids(json request) {
    auto a = ask(request);
    INFO(a.doc.dump());
    REQUIRE(a.ok());
    return ids_of(a);
  }
};

}  // namespace

TEST_CASE("content words: case, umlauts, plurals and German endings meet", "[similar]") {
  CHECK(emma::content_words("Teelichte") == emma::content_words("TEELICHT"));
  CHECK(emma::content_words("Müller") == V{"mueller"});
  CHECK(emma::content_words("MÜLLER Straße") == V{"mueller", "strass"});
  CHECK(emma::content_words("Kerzen") == emma::content_words("Kerze"));
  CHECK(emma::content_words("holders") == emma::content_words("holder"));
  CHECK(emma::content_words("boxes") == V{"box"});
  CHECK(emma::content_words("Set of 3 cake tins & a tray") == V{"set", "3", "cak", "tin", "tray"});
}

TEST_CASE("content neighbours: title siblings first, complements not at all", "[similar]") {
  const auto items = shop_items();
  const auto sims = emma::content_neighbours(items);
  REQUIRE(sims.size() == items.size());
  const V h1 = neighbour_ids(items, sims[0]);
  REQUIRE(h1.size() >= 2);
  CHECK(h1[0] == "h2");  // one word apart, same brand, same price
  CHECK(h1[1] == "h3");
  CHECK_FALSE(has(h1, "b1"));
  CHECK_FALSE(has(h1, "m1"));
  CHECK_FALSE(has(h1, "h1"));
  for (std::size_t k = 1; k < sims[0].size(); ++k) CHECK(sims[0][k - 1].score >= sims[0][k].score);
  CHECK(sims[7].empty());  // the doormat is like nothing here
  // The same catalog gives the same lists (a rebuild changes nothing).
  const auto again = emma::content_neighbours(items);
  for (std::size_t i = 0; i < items.size(); ++i) CHECK(neighbour_ids(items, again[i]) == neighbour_ids(items, sims[i]));
}

TEST_CASE("content neighbours: variants of one product are never each other's", "[similar]") {
  auto items = shop_items();
  items.push_back(item("h1-red", "White Hanging Heart T-Light Holder", {"Home", "Candles"}, "Müller", 2.95,
                       R"({"item_group_id":"HEART","colour":"red"})"));
  items.push_back(item("h1-blue", "White Hanging Heart T-Light Holder", {"Home", "Candles"}, "Müller", 2.95,
                       R"({"item_group_id":"HEART","colour":"blue"})"));
  const auto sims = emma::content_neighbours(items);
  const V red = neighbour_ids(items, sims[8]);
  CHECK_FALSE(has(red, "h1-blue"));  // the same product: identical words, still left out
  CHECK(has(red, "h1"));             // another product with the same title is an alternative
  CHECK_FALSE(has(neighbour_ids(items, sims[9]), "h1-red"));
}

TEST_CASE("content neighbours: German compounds meet their head word", "[similar]") {
  const std::vector<emma::ItemInput> items = {
      item("a", "Teelichthalter Glas", {"Wohnen"}, "", 4),
      item("b", "Halter für Teelicht", {"Wohnen"}, "", 4),
      item("c", "Kerzenhalter Holz", {"Wohnen"}, "", 4),
      item("d", "Glasvase", {"Wohnen"}, "", 4),
      item("e", "Kerze rot", {"Wohnen"}, "", 4),
      item("f", "Holzbrett", {"Küche"}, "", 30),
  };
  emma::ContentOptions o;
  o.min_score = 0.01;  // six items: every score is small; the order is what matters here
  const auto sims = emma::content_neighbours(items, o);
  const V a = neighbour_ids(items, sims[0]);
  REQUIRE_FALSE(a.empty());
  CHECK(a[0] == "b");  // "Teelicht" + "Halter" inside one word
  const V c = neighbour_ids(items, sims[2]);
  INFO(json(c).dump());
  const auto at = [&](const char* id) { return std::find(c.begin(), c.end(), id) - c.begin(); };
  CHECK(at("b") == 0);          // "Halter" as a word of its own
  CHECK(at("a") < at("d"));     // both "...halter": before the glass vase
  CHECK(at("e") < at("d"));     // "Kerze" inside "Kerzenhalter"
}

TEST_CASE("content neighbours: equals nearest in catalog order, so they list each other", "[similar]") {
  // 40 items alike in every field but their item number: every pair has the same score. The
  // nearest in catalog order win (not the first items, which would then be every item's
  // neighbours), and two neighbours mostly name each other (stored in one bit, bundle.cpp).
  std::vector<emma::ItemInput> items;
  for (int i = 0; i < 40; ++i) items.push_back(item(("x" + std::to_string(i)).c_str(), "Plain Widget", {"Parts"}, "Acme", 3));
  emma::ContentOptions o;
  o.per_item = 2;
  const auto sims = emma::content_neighbours(items, o);
  CHECK(neighbour_ids(items, sims[20]) == V{"x19", "x21"});
  CHECK(neighbour_ids(items, sims[0]) == V{"x1", "x2"});
  CHECK(neighbour_ids(items, sims[39]) == V{"x38", "x37"});
  std::size_t mutual = 0, total = 0;
  for (std::size_t i = 0; i < items.size(); ++i) {
    for (const auto& n : sims[i]) {
      ++total;
      for (const auto& back : sims[n.item]) mutual += back.item == i;
    }
  }
  CHECK(mutual * 10 >= total * 9);
}

TEST_CASE("content neighbours: large catalogs stay sub-quadratic and find siblings", "[similar]") {
  // 3,000 items in one category and one price band: those two tokens are capped, the rare
  // title words still bring each item's siblings.
  std::vector<emma::ItemInput> items;
  for (int i = 0; i < 1000; ++i) {
    for (const char* colour : {"Red", "Blue", "Green"}) {
      items.push_back(item(("i" + std::to_string(i) + colour).c_str(),
                           (std::string(colour) + " Model" + std::to_string(i) + " Widget").c_str(), {"Parts"}, "", 3));
    }
  }
  std::size_t calls = 0;
  emma::ContentOptions o;
  o.progress = [&](std::size_t, std::size_t) { ++calls; };
  const auto sims = emma::content_neighbours(items, o);
  CHECK(calls >= 2);
  std::size_t found = 0;
  for (std::size_t i = 0; i < items.size(); ++i) {
    const V n = neighbour_ids(items, sims[i]);
    const std::string model = items[i].id.substr(0, items[i].id.find_first_of("RBG"));
    found += n.size() >= 2 && n[0].rfind(model, 0) == 0 && n[1].rfind(model, 0) == 0 && n[0].size() - model.size() <= 5;
  }
  CHECK(found == items.size());
}

TEST_CASE("SIMS round-trips in the bundle, quantised", "[similar][bundle]") {
  const auto b = emma::read_bundle(shop_bundle());
  auto [s, e] = b->model.similar_of(0);
  REQUIRE(e - s >= 2);
  CHECK(b->catalog.item(s->item).id == "h2");
  CHECK(s->score > 0.5f);
  CHECK(s->score <= 1.0f);
  // Older bundles have none: similar_of is empty, not an error.
  const auto old = emma::read_bundle(shop_bundle(false));
  CHECK(old->model.similar_of(0).first == old->model.similar_of(0).second);
}

TEST_CASE("similar ranks substitutes, with reasons that say why", "[similar][recommend]") {
  Shop s;
  const auto a = s.ask({{"scenario", "similar"}, {"item", "h1"}, {"limit", 4}});
  REQUIRE(a.ok());
  INFO(a.doc.dump());
  const V ids = ids_of(a);
  CHECK(ids[0] == "h2");
  CHECK(ids[1] == "h3");
  CHECK(ids[2] == "l1");  // the same kind, by category only
  // Bunting and the frame are bought with h1 but are not alike: never above an alternative.
  CHECK_FALSE(has(V(ids.begin(), ids.begin() + 3), "b1"));
  const json& r = a.result().at("items")[0].at("reasons");
  CHECK(r[0] == json{{"kind", "same_kind"}, {"text", "Same kind: Candles"}});
  CHECK(r[1] == json{{"kind", "same_brand"}, {"text", "Also from Müller"}});
  CHECK(r[2] == json{{"kind", "similar_price"}, {"text", "Similar price"}});
  for (const auto& it : a.result().at("items")) {
    for (const auto& reason : it.at("reasons")) CHECK(reason.at("kind") != "bought_with");
  }
}

TEST_CASE("similar: an item with no content neighbour falls back to category, then popularity", "[similar][recommend]") {
  Shop s;
  // The doormat has no neighbour and no other garden item: the shop's popular items, in order.
  CHECK(s.ids({{"scenario", "similar"}, {"item", "g1"}, {"limit", 3}}) == V{"b1", "f1", "m1"});
  // The lantern's content neighbours and its leaf category: heart holders only.
  const V l1 = s.ids({{"scenario", "similar"}, {"item", "l1"}, {"limit", 3}});
  CHECK(std::all_of(l1.begin(), l1.end(), [](const std::string& id) { return id[0] == 'h'; }));
  // Without a SIMS section (an older bundle, a plain catalog) similar is the category's.
  Shop old(false);
  const V h1 = old.ids({{"scenario", "similar"}, {"item", "h1"}, {"limit", 3}});
  CHECK(h1[0] == "h2");  // same leaf and brand, and bought together
  CHECK(std::all_of(h1.begin(), h1.end(), [](const std::string& id) { return id[0] == 'h' || id[0] == 'l'; }));
}

TEST_CASE("similar: stable ordering, ties in catalog order", "[similar][recommend]") {
  Shop s;
  const json req = {{"scenario", "similar"}, {"item", "h1"}, {"limit", 7}};
  const V first = s.ids(req);
  for (int k = 0; k < 3; ++k) CHECK(s.ids(req) == first);
  // Two items with identical content and figures: catalog order decides.
  std::vector<emma::ItemInput> items = {item("x", "Blue Glass Vase", {"Vases"}, "", 9),
                                        item("y2", "Green Glass Vase", {"Vases"}, "", 9),
                                        item("y1", "Green Glass Vase", {"Vases"}, "", 9)};
  emma::ModelInput m;
  m.windows = {{"30d", 30}};
  m.popularity = {{1, 1, 1}};
  m.similar = emma::content_neighbours(items);
  emma::Engine e;
  REQUIRE(call(e, {{"op", "configure"}, {"shop", "s"}}).ok());
  REQUIRE(call(e, {{"op", "bundle.load"}}, emma::write_bundle(items, m, json::object())).ok());
  const auto a = call(e, {{"op", "recommend"}, {"request", {{"scenario", "similar"}, {"item", "x"}, {"limit", 2}}}, {"now", kNow}});
  CHECK(ids_of(a) == V{"y2", "y1"});
}

TEST_CASE("bought_together keeps near-duplicates of the anchor out", "[similar][recommend]") {
  Shop s;
  // h2 is a co-purchase neighbour of h1, but it is h1 in red: not a complement.
  const V bt = s.ids({{"scenario", "bought_together"}, {"item", "h1"}, {"limit", 7}});
  CHECK(bt[0] == "b1");
  CHECK(bt[1] == "f1");
  CHECK_FALSE(has(bt, "h2"));  // not even when popular items fill the list
  CHECK(bt.size() == 5);       // 8 items less h1, h2 and h3 (the zinc heart is alike enough too)
  // Without content neighbours nothing is known to be a duplicate: the baskets decide.
  Shop old(false);
  CHECK(has(old.ids({{"scenario", "bought_together"}, {"item", "h1"}, {"limit", 3}}), "h2"));
}

TEST_CASE("similar: without consent the page's item alone decides; with it, a lean to the shopper's brand and prices", "[similar][recommend]") {
  // Three vases as alike as each other to the blue one; the red is of another brand and dearer.
  std::vector<emma::ItemInput> items = {item("blue", "Blue Glass Vase", {"Home", "Vases"}, "Vitra", 9),
                                        item("green", "Green Glass Vase", {"Home", "Vases"}, "Vitra", 9),
                                        item("red", "Red Glass Vase", {"Home", "Vases"}, "Lumen", 30),
                                        item("lamp", "Brass Desk Lamp", {"Home", "Lamps"}, "Lumen", 32),
                                        item("shade", "Linen Lamp Shade", {"Home", "Lamps"}, "Lumen", 28)};
  emma::ModelInput m;
  m.windows = {{"30d", 30}};
  m.popularity = {{1, 1, 1, 1, 1}};
  m.similar = emma::content_neighbours(items);
  emma::Engine e;
  REQUIRE(call(e, {{"op", "configure"}, {"shop", "s"}}).ok());
  REQUIRE(call(e, {{"op", "bundle.load"}}, emma::write_bundle(items, m, json::object())).ok());
  const json req = {{"scenario", "similar"}, {"item", "blue"}, {"limit", 2}};
  auto ask = [&] { return call(e, {{"op", "recommend"}, {"request", req}, {"now", kNow + 10}}); };
  const auto before = ask();
  REQUIRE(ids_of(before) == V{"green", "red"});
  // Tracking without consent keeps nothing: the same answer, byte for byte.
  REQUIRE(call(e, {{"op", "track"}, {"event", {{"type", "purchase"}, {"item", "lamp"}}}, {"now", kNow}}).ok());
  CHECK(ask().doc == before.doc);
  // With consent, a shopper of Lumen lamps around 30: the red vase first, and it says why.
  grant(e);
  REQUIRE(call(e, {{"op", "track"}, {"event", {{"type", "purchase"}, {"item", "lamp"}}}, {"now", kNow}}).ok());
  REQUIRE(call(e, {{"op", "track"}, {"event", {{"type", "view"}, {"item", "shade"}}}, {"now", kNow + 1}}).ok());
  const auto after = ask();
  REQUIRE(after.ok());
  INFO(after.doc.dump());
  CHECK(after.result().at("personalized") == true);
  CHECK(ids_of(after) == V{"red", "green"});
  const json& why = after.result().at("items")[0].at("reasons");
  CHECK(std::find(why.begin(), why.end(), json{{"kind", "your_brand"}, {"text", "A brand you like: Lumen"}}) != why.end());
  CHECK(std::find(why.begin(), why.end(), json{{"kind", "your_price"}, {"text", "In your usual price range"}}) != why.end());
  // The lean reorders alternatives about as alike; it never lifts an unlike item above them:
  // the lamps (another kind, the shopper's brand and price) stay below both vases.
  const auto all = call(e, {{"op", "recommend"}, {"request", {{"scenario", "similar"}, {"item", "blue"}, {"limit", 4}}}, {"now", kNow + 10}});
  const V ids = ids_of(all);
  REQUIRE(ids.size() >= 2);
  CHECK(V(ids.begin(), ids.begin() + 2) == V{"red", "green"});
}
