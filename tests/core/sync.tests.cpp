// Sync between two devices through the engine (src/core/sync.hpp): what may leave, what
// is taken in, and what ends it.
#include "core/sync.hpp"
#include "test_engine.hpp"

using namespace emma_test;

namespace {

const char* kPass = "correct horse battery";

void grant_sync(emma::Engine& e, std::int64_t now = kNow) {
  grant(e);
  REQUIRE(call(e, {{"op", "consent.grant"}, {"purpose", "sync"}, {"version", "1"}, {"text", "Sync my devices"},
                   {"source", "banner"}, {"now", now}})
              .ok());
}

void view(emma::Engine& e, const char* item, std::int64_t now) {
  REQUIRE(call(e, {{"op", "track"}, {"event", {{"type", "view"}, {"item", item}}}, {"now", now}}).ok());
}

std::vector<std::string> top(emma::Engine& e) {
  return ids_of(call(e, {{"op", "recommend"}, {"request", {{"scenario", "for_you"}, {"limit", 5}}}, {"now", kNow + 1000}}));
}

}  // namespace

TEST_CASE("nothing about sync happens without both purposes", "[sync]") {
  emma::Engine e;
  load_small(e);
  grant(e);
  CHECK(call(e, {{"op", "sync.enable"}, {"passphrase", kPass}}).code() == "NO_CONSENT");
  CHECK(call(e, {{"op", "sync.seal"}}).code() == "NO_CONSENT");
  CHECK(call(e, {{"op", "sync.pair"}}).code() == "NO_CONSENT");
  const Answer st = call(e, {{"op", "sync.state"}});
  CHECK(st.result().at("enabled") == false);
  CHECK(st.result().at("allowed") == false);
  REQUIRE(call(e, {{"op", "consent.grant"}, {"purpose", "sync"}, {"version", "1"}, {"text", "Sync"}, {"source", "api"}}).ok());
  CHECK(call(e, {{"op", "sync.seal"}}).code() == "BAD_REQUEST");  // on, but not enabled
  CHECK(call(e, {{"op", "sync.enable"}, {"passphrase", "short"}}).code() == "BAD_REQUEST");
}

TEST_CASE("a second device joins with sync id and passphrase; a copy with nothing new is not applied", "[sync]") {
  emma::Engine a;
  load_small(a);
  grant_sync(a);
  view(a, "22720", kNow + 1);
  view(a, "22423", kNow + 2);
  const Answer on = call(a, {{"op", "sync.enable"}, {"passphrase", kPass}, {"now", kNow + 3}});
  REQUIRE(on.ok());
  const std::string handle = on.result().at("handle");
  CHECK(handle.size() == 32);
  const Answer copy = call(a, {{"op", "sync.seal"}, {"now", kNow + 10}});
  REQUIRE(copy.ok());
  CHECK(copy.result().at("handle") == handle);

  emma::Engine b;
  load_small(b);
  grant_sync(b);
  CHECK(call(b, {{"op", "sync.join"}, {"handle", handle}, {"passphrase", "wrong horse battery"}}, copy.bytes).code() ==
        "WRONG_PASSPHRASE");
  const Answer joined = call(b, {{"op", "sync.join"}, {"handle", handle}, {"passphrase", kPass}, {"now", kNow + 20}}, copy.bytes);
  REQUIRE(joined.ok());
  CHECK(joined.result().at("events") == 2);
  CHECK(top(b) == top(a));

  // b changes and pushes; a takes it in; an older copy is not applied over a newer one.
  view(b, "85099B", kNow + 30);
  const Answer newer = call(b, {{"op", "sync.seal"}, {"now", kNow + 31}});
  REQUIRE(newer.ok());
  const Answer applied = call(a, {{"op", "sync.apply"}, {"now", kNow + 40}}, newer.bytes);
  REQUIRE(applied.ok());
  CHECK(applied.result().at("applied") == true);
  CHECK(applied.result().at("events") == 3);
  CHECK(call(a, {{"op", "sync.apply"}, {"now", kNow + 41}}, copy.bytes).result().at("applied") == false);
  CHECK(call(a, {{"op", "sync.apply"}, {"now", kNow + 41}}, newer.bytes).result().at("applied") == false);
  CHECK(top(a) == top(b));

  // A copy sealed by someone else (another passphrase) does not open with the kept key.
  emma::Engine c;
  load_small(c);
  grant_sync(c);
  REQUIRE(call(c, {{"op", "sync.enable"}, {"passphrase", "another passphrase"}}).ok());
  const Answer foreign = call(c, {{"op", "sync.seal"}, {"now", kNow + 50}});
  CHECK(call(a, {{"op", "sync.apply"}}, foreign.bytes).code() == "WRONG_PASSPHRASE");
}

TEST_CASE("a one-time pairing code brings in a device without a passphrase", "[sync]") {
  emma::Engine a;
  load_small(a);
  grant_sync(a);
  view(a, "37370", kNow + 1);
  const Answer on = call(a, {{"op", "sync.enable"}});  // no passphrase: a random secret
  REQUIRE(on.ok());
  CHECK(on.result().at("passphrase") == false);
  const Answer pair = call(a, {{"op", "sync.pair"}, {"now", kNow + 5}});
  REQUIRE(pair.ok());
  const std::string code = pair.result().at("code");
  CHECK(code.size() == 29);  // 24 characters in groups of four
  const std::string slot = pair.result().at("slot");
  CHECK(slot.size() == 32);
  CHECK(slot != on.result().at("handle").get<std::string>());

  emma::Engine b;
  load_small(b);
  grant_sync(b);
  // Typed in lower case, with O for 0 and spaces: the same slot.
  std::string typed;
  for (char c : code) typed.push_back(c == '-' ? ' ' : static_cast<char>(c == '0' ? 'o' : std::tolower(c)));
  CHECK(call(b, {{"op", "sync.pairing_slot"}, {"code", typed}}).result().at("slot") == slot);
  CHECK(call(b, {{"op", "sync.pairing_slot"}, {"code", "ABCD-EFGH-!"}}).code() == "BAD_REQUEST");
  const Answer joined = call(b, {{"op", "sync.join"}, {"code", typed}, {"now", kNow + 6}}, pair.bytes);
  REQUIRE(joined.ok());
  CHECK(joined.result().at("handle") == on.result().at("handle"));
  CHECK(top(b) == top(a));
  // Joined devices share the key: a copy from b opens on a.
  view(b, "22720", kNow + 7);
  const Answer copy = call(b, {{"op", "sync.seal"}, {"now", kNow + 8}});
  CHECK(call(a, {{"op", "sync.apply"}, {"now", kNow + 9}}, copy.bytes).result().at("applied") == true);
}

TEST_CASE("sync state survives sealing; withdrawal, erase and disable end it and name the server copy", "[sync]") {
  emma::Engine a;
  load_small(a);
  grant_sync(a);
  const std::string handle = call(a, {{"op", "sync.enable"}, {"passphrase", kPass}}).result().at("handle");
  const std::vector<std::uint8_t> key(32, 3);
  REQUIRE(call(a, {{"op", "vault.set_key"}, {"key_id", "k"}, {"created_at", kNow}}, key).ok());
  const Answer sealed = call(a, {{"op", "profile.seal"}, {"now", kNow}});
  REQUIRE(sealed.ok());
  CHECK(sealed.result().at("sync") == true);
  // Art. 15: the export says sync is on and where; the key never appears in it.
  const Answer exported = call(a, {{"op", "profile.export"}, {"now", kNow}});
  CHECK(exported.result().at("sync").at("handle") == handle);
  const std::string text = exported.result().dump();
  CHECK(text.find("\"key\"") == std::string::npos);
  CHECK(text.find("salt") == std::string::npos);

  emma::Engine reloaded;
  load_small(reloaded);
  REQUIRE(call(reloaded, {{"op", "vault.set_key"}, {"key_id", "k"}, {"created_at", kNow}}, key).ok());
  REQUIRE(call(reloaded, {{"op", "profile.open"}, {"now", kNow}}, sealed.bytes).ok());
  CHECK(call(reloaded, {{"op", "sync.state"}}).result().at("handle") == handle);

  const Answer w = call(reloaded, {{"op", "consent.withdraw"}, {"purpose", "sync"}});
  CHECK(w.result().at("sync_delete") == handle);
  CHECK(w.result().at("persist") == true);
  CHECK(call(reloaded, {{"op", "sync.state"}}).result().at("enabled") == false);

  CHECK(call(a, {{"op", "erase"}}).result().at("sync_delete") == handle);
  CHECK(call(a, {{"op", "erase"}}).result().at("sync_delete").is_null());

  emma::Engine d;
  load_small(d);
  grant_sync(d);
  const std::string h2 = call(d, {{"op", "sync.enable"}, {"passphrase", kPass}}).result().at("handle");
  CHECK(call(d, {{"op", "sync.disable"}}).result().at("sync_delete") == h2);
  // GPC denies sync: that ends it too.
  const std::string h3 = call(d, {{"op", "sync.enable"}, {"passphrase", kPass}}).result().at("handle");
  const Answer gpc = call(d, {{"op", "consent.signal"}, {"source", "gpc"}, {"signal", {{"enabled", true}}}});
  REQUIRE(gpc.ok());
  CHECK(gpc.result().at("sync_delete") == h3);
}

namespace {

// Two devices on one sync id, with the same profile (a, then b joined from a's copy).
struct TwoDevices {
  emma::Engine a, b;
  TwoDevices() {
    load_small(a);
    load_small(b);
    grant_sync(a);
    grant_sync(b);
    view(a, "22720", kNow + 1);
    REQUIRE(call(a, {{"op", "sync.enable"}, {"passphrase", kPass}, {"now", kNow + 2}}).ok());
    const Answer pair = call(a, {{"op", "sync.pair"}, {"now", kNow + 3}});
    REQUIRE(call(b, {{"op", "sync.join"}, {"code", pair.result().at("code")}, {"now", kNow + 4}}, pair.bytes).ok());
  }
};

json exported(emma::Engine& e) { return call(e, {{"op", "profile.export"}, {"now", kNow + 500}}).result(); }

std::size_t pending(emma::Engine& e) { return call(e, {{"op", "sync.state"}}).result().at("pending").get<std::size_t>(); }

}  // namespace

TEST_CASE("changes made on two devices at once both survive the sync", "[sync][merge]") {
  TwoDevices d;
  // Offline at the same time: a views two items, b buys one and searches.
  view(d.a, "22423", kNow + 10);
  view(d.a, "37370", kNow + 11);
  REQUIRE(call(d.b, {{"op", "track"}, {"event", {{"type", "purchase"}, {"item", "85099B"}}}, {"now", kNow + 12}}).ok());
  REQUIRE(call(d.b, {{"op", "track"}, {"event", {{"type", "search"}, {"query", "lantern"}}}, {"now", kNow + 13}}).ok());
  CHECK(pending(d.a) == 2);
  CHECK(pending(d.b) == 2);

  // a pushes first; b takes a's copy in, keeps its own changes on top and must push.
  const Answer from_a = call(d.a, {{"op", "sync.seal"}, {"now", kNow + 20}});
  const Answer at_b = call(d.b, {{"op", "sync.apply"}, {"now", kNow + 21}}, from_a.bytes);
  REQUIRE(at_b.ok());
  CHECK(at_b.result().at("applied") == true);
  CHECK(at_b.result().at("push") == true);
  CHECK(exported(d.b).at("event_count") == 5);  // 1 before + a's 2 + b's 2

  // a takes b's merged copy in: its own changes are in it, so they leave a's kept list.
  const Answer from_b = call(d.b, {{"op", "sync.seal"}, {"now", kNow + 30}});
  const Answer at_a = call(d.a, {{"op", "sync.apply"}, {"now", kNow + 31}}, from_b.bytes);
  REQUIRE(at_a.ok());
  CHECK(at_a.result().at("applied") == true);
  CHECK(at_a.result().at("push") == false);
  CHECK(pending(d.a) == 0);
  const json ea = exported(d.a), eb = exported(d.b);
  CHECK(ea.at("event_count") == 5);
  CHECK(ea.at("interests") == eb.at("interests"));
  CHECK(ea.at("purchases") == eb.at("purchases"));
  CHECK(ea.at("searches").size() == 1);
  CHECK(top(d.a) == top(d.b));

  // b sees its own changes held by the server copy (a's push of the same state): nothing new
  // to apply, and its kept list empties.
  const Answer again = call(d.a, {{"op", "sync.seal"}, {"now", kNow + 40}});
  const Answer back = call(d.b, {{"op", "sync.apply"}, {"now", kNow + 41}}, again.bytes);
  CHECK(back.result().at("applied") == false);
  CHECK(back.result().at("persist") == true);
  CHECK(pending(d.b) == 0);
  CHECK(exported(d.b).at("event_count") == 5);
}

TEST_CASE("a copy pushed by a device that missed the newest one does not lose it", "[sync][merge]") {
  TwoDevices d;
  view(d.a, "22423", kNow + 10);
  const Answer a1 = call(d.a, {{"op", "sync.seal"}, {"now", kNow + 11}});
  // b never saw a1 and pushes over it (a store without If-Match): a1 is gone from the server.
  view(d.b, "85099B", kNow + 12);
  const Answer b1 = call(d.b, {{"op", "sync.seal"}, {"now", kNow + 13}});
  (void)a1;
  // a pulls b1: a's change is not in it, so a keeps it, replays it and must push again.
  const Answer at_a = call(d.a, {{"op", "sync.apply"}, {"now", kNow + 20}}, b1.bytes);
  CHECK(at_a.result().at("applied") == true);
  CHECK(at_a.result().at("push") == true);
  CHECK(pending(d.a) == 1);
  CHECK(exported(d.a).at("event_count") == 3);
  const Answer a2 = call(d.a, {{"op", "sync.seal"}, {"now", kNow + 21}});
  CHECK(call(d.b, {{"op", "sync.apply"}, {"now", kNow + 22}}, a2.bytes).result().at("applied") == true);
  CHECK(exported(d.b).at("event_count") == 3);
  CHECK(pending(d.b) == 0);
}

TEST_CASE("forgetting and objecting travel, and a forget clears the kept changes too", "[sync][merge]") {
  TwoDevices d;
  view(d.a, "22423", kNow + 10);
  view(d.a, "71053", kNow + 11);
  REQUIRE(call(d.a, {{"op", "track"}, {"event", {{"type", "search"}, {"query", "cake tins"}}}, {"now", kNow + 12}}).ok());
  REQUIRE(call(d.a, {{"op", "profile.forget"}, {"item", "22423"}}).ok());
  REQUIRE(call(d.a, {{"op", "profile.forget"}, {"search", "cake tins"}}).ok());
  // Art. 16: the kept events no longer hold what was forgotten (only the forget itself names it).
  const json kept = exported(d.a).at("sync").at("pending");
  CHECK(kept.size() == 5);
  for (const auto& k : kept) {
    if (!k.at("change").contains("events")) continue;
    for (const auto& ev : k.at("change").at("events")) {
      CHECK(ev.value("item", "") != "22423");
      CHECK(ev.value("query", "") != "cake tins");
    }
  }
  REQUIRE(call(d.a, {{"op", "profile.object"}, {"object", true}}).ok());

  // b forgets 22720 (both devices held it from before), then a search; a's copy, which still
  // holds 22720, arrives: a's changes land on b, and both of b's forgets are replayed.
  REQUIRE(call(d.b, {{"op", "profile.forget"}, {"item", "22720"}}).ok());
  REQUIRE(call(d.b, {{"op", "track"}, {"event", {{"type", "search"}, {"query", "lantern"}}}, {"now", kNow + 13}}).ok());
  REQUIRE(call(d.b, {{"op", "profile.forget"}, {"search", "lantern"}}).ok());
  const Answer from_a = call(d.a, {{"op", "sync.seal"}, {"now", kNow + 20}});
  REQUIRE(call(d.b, {{"op", "sync.apply"}, {"now", kNow + 21}}, from_a.bytes).result().at("applied") == true);
  const json eb = exported(d.b);
  CHECK(eb.at("sync").at("pending").size() == 3);
  CHECK(eb.at("objected") == true);
  CHECK_FALSE(eb.at("interests").at("items").contains("22720"));
  CHECK_FALSE(eb.at("interests").at("items").contains("22423"));
  CHECK(eb.at("interests").at("items").contains("71053"));
  CHECK(eb.at("searches").empty());
  // The kept forget is stored as it was made (a later forget does not rewrite it).
  for (const auto& k : eb.at("sync").at("pending")) {
    if (k.at("change").contains("forget")) CHECK(k.at("change").size() == 2);
  }
}

TEST_CASE("the kept changes are bounded and end with sync", "[sync][merge]") {
  TwoDevices d;
  for (int k = 0; k < static_cast<int>(emma::kMaxPending) + 5; ++k) view(d.a, "22423", kNow + 10 + k);
  CHECK(pending(d.a) == emma::kMaxPending);
  const json kept = exported(d.a).at("sync").at("pending");
  CHECK(kept.front().at("n") == 6);  // the oldest went first
  REQUIRE(call(d.a, {{"op", "sync.disable"}}).ok());
  CHECK(pending(d.a) == 0);
  CHECK(exported(d.a).at("sync").at("pending").empty());
}

TEST_CASE("a sync copy with a malformed version vector or kept change is refused or skipped, nothing lost", "[sync][merge]") {
  // A device that holds the key, and copies sealed under it by hand (what a buggy or newer
  // engine on another device could send).
  const emma::BackupKey key = emma::derive_backup_key(kPass, {emma::kMinOpslimit, emma::kMinMemlimitKib});
  const auto copy = [&](const std::string& doc) { return emma::seal_backup(doc, key); };
  const std::string head = R"({"format":"tante-emma-backup/1","shop":"test-shop","created_at":5,"profile":{},)";
  emma::Engine e;
  load_small(e);
  grant_sync(e);
  const auto first = copy(head + R"("sync_seen":{}})");
  REQUIRE(call(e, {{"op", "sync.join"}, {"handle", std::string(32, 'a')}, {"passphrase", kPass}, {"now", kNow}}, first).ok());
  view(e, "22720", kNow + 1);
  view(e, "22423", kNow + 2);
  const json before = exported(e);

  for (const char* seen : {R"("x")", R"({"0123456789abcdef":-1})", R"({"short":1})", R"({"0123456789abcdef":"1"})"}) {
    const Answer bad = call(e, {{"op", "sync.apply"}, {"now", kNow + 3}}, copy(head + R"("sync_seen":)" + seen + "}"));
    CHECK(bad.code() == "BAD_BACKUP");
    CHECK(bad.message().find("seen") != std::string::npos);
  }
  // A newer copy whose profile is malformed: refused before anything changes, kept list included.
  const Answer broken = call(e, {{"op", "sync.apply"}, {"now", kNow + 3}},
                             copy(R"({"format":"tante-emma-backup/1","shop":"test-shop","profile":{"items":7},"sync_seen":{"0123456789abcdef":9}})"));
  CHECK(broken.code() == "BAD_BACKUP");
  CHECK(exported(e) == before);
  CHECK(pending(e) == 2);
}

TEST_CASE("before a push, a server copy that does not open is replaced; a newer engine's copy is kept", "[sync][merge]") {
  TwoDevices d;
  view(d.a, "22423", kNow + 10);
  // Someone who learnt the sync id put their own copy there (another key), or it was damaged.
  emma::Engine stranger;
  load_small(stranger);
  grant_sync(stranger);
  REQUIRE(call(stranger, {{"op", "sync.enable"}, {"passphrase", "another passphrase"}}).ok());
  const Answer foreign = call(stranger, {{"op", "sync.seal"}, {"now", kNow + 11}});
  const json before = exported(d.a);
  // On a pull it is an error, as before; before a push the engine answers: replace it.
  CHECK(call(d.a, {{"op", "sync.apply"}, {"now", kNow + 12}}, foreign.bytes).code() == "WRONG_PASSPHRASE");
  const Answer push = call(d.a, {{"op", "sync.apply"}, {"before_push", true}, {"now", kNow + 12}}, foreign.bytes);
  REQUIRE(push.ok());
  CHECK(push.result().at("replace") == true);
  CHECK(push.result().at("code") == "WRONG_PASSPHRASE");
  std::vector<std::uint8_t> damaged = call(d.b, {{"op", "sync.seal"}, {"now", kNow + 13}}).bytes;
  damaged[damaged.size() / 2] ^= 1;
  // (A flipped ciphertext byte fails authentication like a wrong key: WRONG_PASSPHRASE.)
  CHECK(call(d.a, {{"op", "sync.apply"}, {"before_push", true}, {"now", kNow + 14}}, damaged).result().at("replace") == true);
  CHECK(exported(d.a) == before);
  CHECK(pending(d.a) == 1);

  // A copy a newer engine wrote under the same key is another device's data: not replaced.
  std::vector<std::uint8_t> newer = call(d.b, {{"op", "sync.seal"}, {"now", kNow + 15}}).bytes;
  newer[4] = 99;  // the format version byte (docs/sync-and-backups.md "Backup format")
  CHECK(call(d.a, {{"op", "sync.apply"}, {"before_push", true}, {"now", kNow + 16}}, newer).code() == "UNSUPPORTED");
}

TEST_CASE("a copy the store took clears the kept changes it holds, not later ones", "[sync]") {
  emma::Engine a;
  load_small(a);
  grant_sync(a);
  REQUIRE(call(a, {{"op", "sync.enable"}, {"passphrase", kPass}, {"now", kNow + 1}}).ok());
  view(a, "22720", kNow + 2);
  view(a, "22423", kNow + 3);
  CHECK(call(a, {{"op", "sync.state"}}).result().at("pending") == 2);
  const Answer copy = call(a, {{"op", "sync.seal"}, {"now", kNow + 4}});
  REQUIRE(copy.ok());
  const auto holds = copy.result().at("holds").get<std::int64_t>();
  CHECK(holds == 2);
  view(a, "37370", kNow + 5);  // made after the copy was sealed: stays kept
  const Answer pushed = call(a, {{"op", "sync.pushed"}, {"holds", holds}});
  REQUIRE(pushed.ok());
  CHECK(pushed.result().at("pending") == 1);
  CHECK(call(a, {{"op", "sync.state"}}).result().at("pending") == 1);
  CHECK(call(a, {{"op", "sync.pushed"}, {"holds", -1}}).code() == "BAD_REQUEST");
}
