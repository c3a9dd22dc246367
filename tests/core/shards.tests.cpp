// Catalogs of any size (issue 11): a head and shards (src/core/shard_writer.hpp), merged by the
// engine (bundle_set.hpp), fetched by the page's fields only (shards.hpp).
#include "test_engine.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "core/bundle.hpp"
#include "core/shard_writer.hpp"
#include "core/shards.hpp"
#include "core/vault.hpp"

using namespace emma_test;

namespace {

using Files = std::map<std::string, std::vector<std::uint8_t>>;

// 600 items in 12 leaf categories; each item's co-purchase neighbours are items of its own
// category (a few from far away in the catalog, so they sit in other shards), content
// neighbours its title siblings; two popularity windows and repurchase cycles.
std::vector<std::uint8_t> whole_bundle(std::uint32_t n = 600) {
  std::vector<emma::ItemInput> items;
  emma::ModelInput m;
  m.windows = {{"30d", 30}, {"all", 0}};
  m.popularity.assign(2, {});
  m.neighbours.resize(n);
  m.similar.resize(n);
  for (std::uint32_t i = 0; i < n; ++i) {
    emma::ItemInput it;
    it.id = "P" + std::to_string(1000 + i);
    it.title = "Thing " + std::to_string(i % 50) + " colour " + std::to_string(i / 50);
    it.url = "/p/" + it.id;
    it.category_path = {"Dept " + std::to_string(i % 3), "Line " + std::to_string(i % 12)};
    it.brand = "Brand " + std::to_string(i % 7);
    it.price = 1 + (i % 40);
    it.currency = "EUR";
    it.in_stock = i % 17 != 0;
    items.push_back(it);
    m.popularity[0].push_back(static_cast<float>((i * 7919) % 997));
    m.popularity[1].push_back(static_cast<float>((i * 104729) % 1009));
    for (std::uint32_t k = 1; k <= 6; ++k) {
      m.neighbours[i].push_back({(i + 12 * k * 7) % n, 1.0f / static_cast<float>(k + 1)});
    }
    m.similar[i].push_back({(i + 50) % n, 0.9f});
    m.similar[i].push_back({(i + 100) % n, 0.6f});
    m.rebuy_days.push_back(i % 5 ? 30.f + static_cast<float>(i % 11) : 0.f);
    m.rebuy_share.push_back(i % 5 ? 0.4f : 0.f);
  }
  return emma::write_bundle(items, m, json{{"tool", "test"}});
}

struct Sharded {
  std::vector<std::uint8_t> whole, head;
  Files shards;
};

// whole_bundle(items) split into shards of `shard_items`, a head of 30 items and 10 a category.
Sharded split(std::uint32_t shard_items, std::uint32_t items = 600) {
  Sharded out;
  out.whole = whole_bundle(items);
  emma::ShardOptions o;
  o.shard_items = shard_items;
  o.head_items = 30;
  o.head_per_category = 10;
  auto parts = emma::split_bundle(*emma::read_bundle(out.whole), "shop", o);
  out.head = std::move(parts.head);
  for (auto& [name, bytes] : parts.shards) out.shards[name] = std::move(bytes);
  return out;
}

const Sharded& sharded() {
  static const Sharded s = split(30);
  return s;
}

void start(emma::Engine& e, const std::vector<std::uint8_t>& bundle) {
  REQUIRE(call(e, {{"op", "configure"}, {"shop", "shard-shop"}}).ok());
  REQUIRE(call(e, {{"op", "bundle.load"}}, bundle).ok());
}

// What the JS does on a page: fetch the shards the request names, then ask. `fetched` lists the
// file names in order.
Answer page(emma::Engine& e, const json& request, std::vector<std::string>* fetched = nullptr) {
  const auto need = call(e, {{"op", "shards.needed"}, {"request", request}});
  REQUIRE(need.ok());
  for (const auto& name : need.result().at("fetch")) {
    const std::string file = name.get<std::string>();
    if (fetched) fetched->push_back(file);
    REQUIRE(call(e, {{"op", "shard.load"}, {"name", file}}, sharded().shards.at(file)).ok());
  }
  return call(e, {{"op", "recommend"}, {"request", request}, {"now", kNow}});
}

json answer_items(const Answer& a) {
  json out = json::array();
  for (const auto& it : a.result().at("items")) out.push_back({it.at("id"), it.at("reasons")});
  return out;
}

void view(emma::Engine& e, const std::string& id, const char* type = "view") {
  REQUIRE(call(e, {{"op", "track"}, {"event", {{"type", type}, {"item", id}}}, {"now", kNow}}).ok());
}

// Personalization granted and a data key set, so the profile can be sealed.
void consenting(emma::Engine& e, const std::vector<std::uint8_t>& key) {
  grant(e);
  REQUIRE(call(e, {{"op", "vault.set_key"}, {"key_id", "k"}}, key).ok());
}

// The same catalog in 75 shards of 8 items: a history spreads over more shards than a page loads at once.
const Sharded& finely_sharded() {
  static const Sharded s = split(8);
  return s;
}

// A new visit: the head alone, and the sealed record opened.
std::unique_ptr<emma::Engine> new_visit(const Sharded& s, const std::vector<std::uint8_t>& key, const std::vector<std::uint8_t>& record) {
  auto e = std::make_unique<emma::Engine>();
  start(*e, s.head);
  REQUIRE(call(*e, {{"op", "vault.set_key"}, {"key_id", "k"}}, key).ok());
  REQUIRE(call(*e, {{"op", "profile.open"}, {"now", kNow}}, record).ok());
  return e;
}

// The home page's answers on a new visit: no shard fetched, the whole bundle's items, not partial.
void answers_like_whole(emma::Engine& later, emma::Engine& whole, const std::vector<json>& requests) {
  for (const json& request : requests) {
    INFO(request.dump());
    std::vector<std::string> fetched;
    const auto a = page(later, request, &fetched);
    CHECK(fetched.empty());
    CHECK(answer_items(a) == answer_items(page(whole, request)));
    CHECK(a.result().at("partial") == false);
  }
}

// The whole bundle and the head, both with personalization granted and a data key.
void start_both(emma::Engine& whole, emma::Engine& part, const Sharded& s, const std::vector<std::uint8_t>& key) {
  start(whole, s.whole);
  start(part, s.head);
  for (auto* e : {&whole, &part}) consenting(*e, key);
}

// A consenting shopper on the head alone.
std::unique_ptr<emma::Engine> shopper(const Sharded& s, const std::vector<std::uint8_t>& key) {
  auto e = std::make_unique<emma::Engine>();
  start(*e, s.head);
  consenting(*e, key);
  return e;
}

// Without a fetch: a remembered item's page needs nothing more, another's would (partial).
bool lacking(emma::Engine& e, const char* id) {
  const auto a = call(e, {{"op", "recommend"}, {"request", {{"scenario", "similar"}, {"item", id}}}, {"now", kNow}});
  return !a.ok() || a.result().at("partial") == true;
}

// A product page: its item's shard(s) loaded, then the event tracked.
void visit(emma::Engine& e, const Sharded& s, const json& event) {
  const auto need = call(e, {{"op", "shards.needed"}, {"request", {{"item", event.at("item")}}}});
  for (const auto& name : need.result().at("fetch")) REQUIRE(call(e, {{"op", "shard.load"}, {"name", name}}, s.shards.at(name)).ok());
  REQUIRE(call(e, {{"op", "track"}, {"event", event}, {"now", kNow}}).ok());
}

}  // namespace

TEST_CASE("a sharded catalog answers a product page as the whole bundle does", "[shards]") {
  const auto& s = sharded();
  CHECK(s.head.size() < s.whole.size() / 3);
  emma::Engine whole, part;
  start(whole, s.whole);
  start(part, s.head);
  CHECK(call(part, {{"op", "engine.info"}}).result().at("items") < 600);
  for (const char* id : {"P1000", "P1137", "P1421", "P1599"}) {
    for (const char* scenario : {"similar", "bought_together"}) {
      INFO(id << " " << scenario);
      const json request = {{"scenario", scenario}, {"item", id}, {"limit", 6}};
      const auto a = page(whole, request);
      const auto b = page(part, request);
      // What the item's lists give is the same; a fill from the category ranks among the
      // category's items that are loaded (the head's best of each, and the loaded shards).
      auto listed = [&](const Answer& x) {
        json out = json::array();
        for (const auto& it : answer_items(x)) {
          const std::string kind = it[1].empty() ? "" : it[1][0].at("kind").get<std::string>();
          if (kind == "similar" || kind == "bought_with") out.push_back(it);
        }
        return out;
      };
      CHECK(listed(a) == listed(b));
      CHECK(listed(a).size() >= 2);
      CHECK(b.result().at("items").size() == a.result().at("items").size());
      CHECK(b.result().at("partial") == false);
      CHECK_FALSE(a.result().contains("partial"));
    }
  }
}

TEST_CASE("the home page answers from the shopper's remembered items, with no shard request", "[shards]") {
  const auto& s = sharded();
  const std::vector<std::uint8_t> key(32, 3);
  emma::Engine whole, part;
  start_both(whole, part, s, key);
  // Product pages: each fetches its item's shard, then the view is tracked.
  for (const char* id : {"P1005", "P1217", "P1333", "P1450"}) {
    for (auto* e : {&whole, &part}) {
      page(*e, {{"scenario", "similar"}, {"item", id}});
      view(*e, id, std::string(id) == "P1333" ? "purchase" : "view");
    }
  }
  const json home = {{"scenario", "for_you"}, {"limit", 8}};
  const auto expected = answer_items(page(whole, home));
  const auto sealed = call(part, {{"op", "profile.seal"}}).bytes;
  REQUIRE_FALSE(sealed.empty());

  // A new visit: the head alone, the profile opened; the home page requests no shard.
  emma::Engine later;
  start(later, s.head);
  REQUIRE(call(later, {{"op", "vault.set_key"}, {"key_id", "k"}}, key).ok());
  REQUIRE(call(later, {{"op", "profile.open"}, {"now", kNow}}, sealed).ok());
  std::vector<std::string> fetched;
  const auto a = page(later, home, &fetched);
  CHECK(fetched.empty());
  CHECK(answer_items(a) == expected);
  CHECK(a.result().at("partial") == false);
  CHECK(a.result().at("personalized") == true);

  // Without the remembered items (an engine that only replays the events) the answer differs
  // and says it is partial.
  emma::Engine forgetful;
  start(forgetful, s.head);
  grant(forgetful);
  for (const char* id : {"P1005", "P1217", "P1333", "P1450"}) view(forgetful, id);
  const auto b = page(forgetful, home);
  CHECK(b.result().at("partial") == true);
  CHECK(answer_items(b) != expected);

  // A product page of a remembered item fetches its shard all the same: what a page requests
  // does not depend on what the profile holds.
  emma::Engine newcomer;
  start(newcomer, s.head);
  for (const char* id : {"P1217", "P1450", "P1003"}) {
    std::vector<std::string> mine, theirs;
    page(later, {{"scenario", "similar"}, {"item", id}}, &mine);
    page(newcomer, {{"scenario", "similar"}, {"item", id}}, &theirs);
    CHECK(mine == theirs);
    CHECK(mine.size() == 1);
  }

  // The remembered items are in the view; withdrawal erases them with the profile.
  const std::size_t fetched_items = call(newcomer, {{"op", "engine.info"}}).result().at("items");
  CHECK(call(later, {{"op", "engine.info"}}).result().at("items") > fetched_items);
  REQUIRE(call(later, {{"op", "consent.withdraw"}, {"purpose", "personalization"}, {"now", kNow}}).ok());
  CHECK(call(later, {{"op", "engine.info"}}).result().at("items") == fetched_items);
}

// Issue 11, "quality unchanged": a history spread over more shards than a page loads at once
// (and than the 24 whole shards an earlier engine remembered) answers for_you and reorder on a
// new visit, from the head and the remembered items alone, exactly as the whole bundle does.
TEST_CASE("a history over many shards answers the home page as the whole bundle does", "[shards]") {
  const Sharded& s = finely_sharded();
  const std::vector<std::uint8_t> key(32, 5);
  emma::Engine whole, part;
  start_both(whole, part, s, key);
  std::set<std::uint32_t> touched;
  for (int k = 0; k < 60; ++k) {
    const std::string id = "P" + std::to_string(1000 + (k * 53) % 600);
    touched.insert(emma::shard_of(id, static_cast<std::uint32_t>(s.shards.size())));
    const json event = {{"type", k % 4 ? "purchase" : "view"}, {"item", id}, {"at", kNow - (60 - k) * 86'400'000LL}};
    for (auto* e : {&whole, &part}) visit(*e, s, event);
  }
  REQUIRE(touched.size() > 40);
  const auto sealed = call(part, {{"op", "profile.seal"}}).bytes;
  answers_like_whole(*new_visit(s, key, sealed), whole,
                     {json{{"scenario", "for_you"}, {"limit", 20}}, json{{"scenario", "reorder"}, {"limit", 10}},
                      json{{"scenario", "for_you"}, {"limit", 10}, {"rules", {{"excludePurchased", true}}}}});
  // What is remembered is the shopper's items and their neighbours, not their shards.
  std::size_t shard_bytes = 0;
  for (const auto& [name, bytes] : s.shards) {
    if (touched.count(emma::read_bundle(bytes)->meta.at("shard").get<std::uint32_t>())) shard_bytes += bytes.size();
  }
  CHECK(sealed.size() * 2 < shard_bytes);
}

// A product page of a new item seals that item's piece as a frame appended to the record, not
// every remembered item again (a long history made each new item cost a whole snapshot of up to
// 2,000 items' data); the record, opened on a new visit, still has them all.
TEST_CASE("a newly remembered item is appended to the sealed record; the record opens with every one", "[shards]") {
  const Sharded& s = finely_sharded();
  const std::vector<std::uint8_t> key(32, 9);
  emma::Engine whole, part;
  start_both(whole, part, s, key);
  std::vector<std::uint8_t> record = call(part, {{"op", "profile.seal"}}).bytes;
  int snapshots = 0, appended = 0;
  for (int k = 0; k < 80; ++k) {
    const std::string id = "P" + std::to_string(1000 + (k * 53) % 600);
    const json event = {{"type", k % 4 ? "purchase" : "view"}, {"item", id}, {"at", kNow - (80 - k) * 86'400'000LL}};
    for (auto* e : {&whole, &part}) visit(*e, s, event);
    auto next = call(part, {{"op", "profile.seal"}, {"now", kNow}}).bytes;
    REQUIRE(next.size() > 64);
    // Appended: the old record, but for its end frame, begins the new one (a snapshot has a
    // new random nonce for its first frame).
    const bool kept = std::equal(record.begin(), record.begin() + 64, next.begin());
    (kept ? appended : snapshots) += 1;
    record = std::move(next);
  }
  INFO(snapshots << " snapshots, " << appended << " appends");
  CHECK(snapshots <= 12);  // every 32 new items and as the record doubles; before: every new item (80)
  CHECK(appended >= 68);
  answers_like_whole(*new_visit(s, key, record), whole, {json{{"scenario", "for_you"}, {"limit", 20}}, json{{"scenario", "reorder"}, {"limit", 10}}});
}

// What the shopper has the shop forget is not kept for them in the sealed record either.
TEST_CASE("a forgotten item leaves the remembered items", "[shards][privacy]") {
  const Sharded& s = finely_sharded();
  const std::vector<std::uint8_t> key(32, 11);
  auto shop = shopper(s, key);
  emma::Engine& part = *shop;
  for (const char* id : {"P1005", "P1217", "P1333"}) visit(part, s, {{"type", "view"}, {"item", id}});
  auto before = new_visit(s, key, call(part, {{"op", "profile.seal"}, {"now", kNow}}).bytes);
  CHECK_FALSE(lacking(*before, "P1217"));
  CHECK_FALSE(lacking(*before, "P1333"));
  REQUIRE(call(part, {{"op", "profile.forget"}, {"item", "P1217"}}).ok());
  auto after = new_visit(s, key, call(part, {{"op", "profile.seal"}, {"now", kNow}}).bytes);
  CHECK(lacking(*after, "P1217"));
  CHECK_FALSE(lacking(*after, "P1333"));
}

// A record refused while its frames are replayed leaves the session as it was, remembered items
// included (they are set before the replay, which needs their categories).
TEST_CASE("a record that fails to open leaves the session's remembered items", "[shards]") {
  const Sharded& s = sharded();
  const std::vector<std::uint8_t> key(32, 13);
  auto shop = shopper(s, key);
  emma::Engine& part = *shop;
  visit(part, s, {{"type", "view"}, {"item", "P1005"}});
  std::vector<std::uint8_t> older = call(part, {{"op", "profile.seal"}, {"now", kNow}}).bytes;
  visit(part, s, {{"type", "view"}, {"item", "P1217"}});
  // The older record, with a last frame whose event is not one: TAMPERED.
  emma::Vault v;
  v.set_key(key.data(), key.size(), "k");
  v.append(older, R"([[1, [{"type": 7}]]])", "shard-shop");
  const auto refused = call(part, {{"op", "profile.open"}, {"now", kNow}}, older);
  REQUIRE(refused.code() == "TAMPERED");
  auto later = new_visit(s, key, call(part, {{"op", "profile.seal"}, {"now", kNow}}).bytes);
  CHECK_FALSE(lacking(*later, "P1005"));
  CHECK_FALSE(lacking(*later, "P1217"));
}

// Answers that use no profile (profiling objected to; the experiment's control arm) are a
// newcomer's on the same pages: the items the profile remembered do not widen them.
TEST_CASE("answers without a profile do not follow the remembered items", "[shards][privacy]") {
  const Sharded& s = sharded();
  const std::vector<std::uint8_t> key(32, 17);
  auto shop = shopper(s, key);
  emma::Engine& part = *shop;
  for (int k = 0; k < 30; ++k) visit(part, s, {{"type", "view"}, {"item", "P" + std::to_string(1000 + (k * 41) % 600)}});
  auto later = new_visit(s, key, call(part, {{"op", "profile.seal"}, {"now", kNow}}).bytes);
  REQUIRE(call(*later, {{"op", "profile.object"}, {"object", true}}).ok());
  emma::Engine newcomer;
  start(newcomer, s.head);
  for (const json& request : {json{{"scenario", "trending"}, {"limit", 100}}, json{{"scenario", "for_you"}, {"limit", 40}},
                              json{{"scenario", "similar"}, {"item", "P1005"}, {"limit", 30}},
                              json{{"scenario", "discover"}, {"limit", 30}}}) {
    INFO(request.dump());
    const auto mine = page(*later, request), theirs = page(newcomer, request);
    REQUIRE(mine.ok());
    CHECK(answer_items(mine) == answer_items(theirs));
  }
  // With profiling resumed, the remembered items are the shopper's again.
  REQUIRE(call(*later, {{"op", "profile.object"}, {"object", false}}).ok());
  CHECK(answer_items(page(*later, {{"scenario", "for_you"}, {"limit", 40}})) != answer_items(page(newcomer, {{"scenario", "for_you"}, {"limit", 40}})));
}

TEST_CASE("which shards a page fetches does not depend on the profile", "[shards][privacy]") {
  const auto& s = sharded();
  emma::Engine a, b;
  start(a, s.head);
  start(b, s.head);
  grant(a);  // a has a long, different history; b has none and no consent
  for (int i = 0; i < 40; ++i) {
    const std::string id = "P" + std::to_string(1000 + (i * 37) % 600);
    page(a, {{"scenario", "similar"}, {"item", id}});
    view(a, id, i % 3 ? "view" : "add_to_cart");
  }
  std::vector<std::string> fa, fb;
  const std::vector<json> visit = {
      {{"scenario", "for_you"}},
      {{"scenario", "trending"}},
      {{"scenario", "similar"}, {"item", "P1321"}},
      {{"scenario", "bought_together"}, {"item", "P1321"}},
      {{"scenario", "bought_together"}},  // a cart from the profile: no fetch for it
      {{"scenario", "rerank"}, {"items", {"P1001", "P1500", "P1321", "P1077"}}},
      {{"scenario", "recently_viewed"}},
      {{"scenario", "discover"}},
      {{"scenario", "reorder"}},
  };
  for (const auto& request : visit) {
    page(a, request, &fa);
    page(b, request, &fb);
  }
  // a had loaded shards before; what it fetched on this visit is a subset of b's, in b's order.
  std::vector<std::string> fresh_a;
  emma::Engine c;
  start(c, s.head);
  grant(c);
  view(c, "P1010");
  for (const auto& request : visit) page(c, request, &fresh_a);
  CHECK(fresh_a == fb);
  CHECK(fb.size() >= 3);
}

TEST_CASE("a bad shard is refused by name and changes nothing", "[shards]") {
  const auto& s = sharded();
  emma::Engine e;
  start(e, s.head);
  const auto need = call(e, {{"op", "shards.needed"}, {"request", {{"scenario", "similar"}, {"item", "P1300"}}}});
  const std::string name = need.result().at("fetch").at(0);
  const std::size_t items = call(e, {{"op", "engine.info"}}).result().at("items");
  auto bytes = s.shards.at(name);
  bytes[bytes.size() / 2] ^= 1;
  auto a = call(e, {{"op", "shard.load"}, {"name", name}}, bytes);
  CHECK(a.code() == "BAD_BUNDLE");
  CHECK(a.message().find(name) != std::string::npos);
  // Another shard's bytes under this name, or a name the head does not list.
  const auto other = std::find_if(s.shards.begin(), s.shards.end(), [&](const auto& kv) { return kv.first != name; });
  a = call(e, {{"op", "shard.load"}, {"name", name}}, other->second);
  CHECK(a.code() == "BAD_BUNDLE");
  CHECK(a.message().find("another build or shard") != std::string::npos);
  CHECK(call(e, {{"op", "shard.load"}, {"name", "../secret.bundle"}}, s.shards.at(name)).code() == "BAD_BUNDLE");
  CHECK(call(e, {{"op", "engine.info"}}).result().at("items") == items);
  // The page still gets an answer from the head, marked partial, never empty.
  const auto r = call(e, {{"op", "recommend"}, {"request", {{"scenario", "similar"}, {"item", "P1300"}}}, {"now", kNow}});
  if (r.ok()) {
    CHECK(r.result().at("partial") == true);
  } else {
    CHECK(r.code() == "BAD_REQUEST");  // the item itself is in no loaded piece
  }
  const auto home = call(e, {{"op", "recommend"}, {"request", {{"scenario", "for_you"}, {"limit", 4}}}, {"now", kNow}});
  CHECK(home.result().at("items").size() == 4);
}

TEST_CASE("the engine holds the head and a bounded number of shards", "[shards]") {
  const auto& s = sharded();
  emma::Engine e;
  start(e, s.head);
  std::size_t largest = 0;
  for (const auto& [name, bytes] : s.shards) {
    REQUIRE(call(e, {{"op", "shard.load"}, {"name", name}}, bytes).ok());
    largest = std::max<std::size_t>(largest, emma::read_bundle(bytes)->catalog.size());
  }
  REQUIRE(s.shards.size() > emma::kMaxLoadedShards);
  const std::size_t head = emma::read_bundle(s.head)->catalog.size();
  CHECK(call(e, {{"op", "engine.info"}}).result().at("items") <= head + emma::kMaxLoadedShards * largest);
  // The first shard loaded was let go: its page asks for it again.
  const std::string first = s.shards.begin()->first;
  std::string id;
  const auto first_shard = emma::read_bundle(s.shards.begin()->second);
  for (const auto& it : first_shard->catalog.items()) {
    if (emma::shard_of(it.id, static_cast<std::uint32_t>(s.shards.size())) == first_shard->meta.at("shard")) id = std::string(it.id);
  }
  REQUIRE_FALSE(id.empty());
  const auto need = call(e, {{"op", "shards.needed"}, {"request", {{"scenario", "similar"}, {"item", id}}}});
  CHECK(need.result().at("fetch") == json::array({first}));
}

TEST_CASE("the shard of an item is one function of its id", "[shards]") {
  CHECK(emma::shard_of("P1000", 15) == emma::shard_of("P1000", 15));
  CHECK(emma::shard_of("", 1) == 0);
  std::vector<int> counts(8, 0);
  for (int i = 0; i < 8000; ++i) ++counts[emma::shard_of("SKU" + std::to_string(i), 8)];
  for (int c : counts) CHECK((c > 800 && c < 1200));
}

// The cap on remembered items (bundle_set.hpp, kMaxRememberedItems): past it the least recently
// used go; of those last used at the same time as the last one that goes, the first in the
// view's order. Driven as the engine drives it (a compaction every kMaxMemoAdditions pieces), on
// a catalog with more items than the cap; uses come in groups of four at one time, so the cut
// falls inside a group.
TEST_CASE("remembered items are capped, the least recently used dropped first", "[shards]") {
  static const Sharded s = split(16, emma::kMaxRememberedItems + 200);
  std::set<std::string> head;
  const auto head_bundle = emma::read_bundle(s.head);
  for (const auto& it : head_bundle->catalog.items()) head.insert(std::string(it.id));
  emma::BundleSet set;
  set.load(emma::read_bundle(s.head));
  const std::size_t total = emma::kMaxRememberedItems + 6;  // 6 go: a group of 4, then 2 of the next 4
  std::vector<std::string> order;  // remembered, in order of use
  std::set<std::string> done;
  json added = json::array();
  const std::int64_t at = 1;
  auto held = [&] { return std::vector<std::string_view>(order.begin(), order.end()); };
  for (const auto& [name, bytes] : s.shards) {
    if (order.size() == total) break;
    set.add_shard(name, bytes.data(), bytes.size(), at);
    const auto shard = emma::read_bundle(bytes);
    for (const auto& it : shard->catalog.items()) {
      const std::string id(it.id);
      if (order.size() == total || head.count(id) || done.count(id) || !set.complete(id)) continue;
      set.remember(id, 1000 + static_cast<std::int64_t>(order.size() / 4), added);
      order.push_back(id);
      done.insert(id);
      if (set.memo_additions() > emma::kMaxMemoAdditions) set.compact_memo(held());
    }
  }
  REQUIRE(order.size() == total);
  set.compact_memo(held());
  const json memo = set.memo();
  REQUIRE(memo.is_object());
  CHECK(memo.at("at").size() == emma::kMaxRememberedItems);

  // A new visit: the head and the sealed piece only. What is remembered is complete there.
  emma::BundleSet later;
  later.load(emma::read_bundle(s.head));
  later.set_memo(memo);
  later.opened(true);
  std::size_t kept = 0, kept_of_tied = 0;
  for (std::size_t k = 0; k < order.size(); ++k) {
    const bool has = later.complete(order[k]);
    kept += has;
    INFO(k << " " << order[k]);
    if (k < 4) CHECK_FALSE(has);  // used before the last one that goes
    else if (k < 8) kept_of_tied += has;
    else CHECK(has);  // used after it
  }
  CHECK(kept == emma::kMaxRememberedItems);
  CHECK(kept_of_tied == 2);
  // The same uses give the same cut (no order of a hash map or of an unstable sort in it).
  emma::BundleSet again;
  again.load(emma::read_bundle(s.head));
  again.set_memo(memo);
  again.opened(true);
  again.compact_memo(held());
  CHECK(again.memo() == memo);
}
