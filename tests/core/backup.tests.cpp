// Passphrase backups (src/core/backup.hpp) and key rotation, through the engine as the
// wasm boundary drives it.
#include <cstring>

#include <sodium.h>

#include "core/backup.hpp"
#include "test_engine.hpp"

using namespace emma_test;

namespace {

// The cheapest parameters the engine accepts keep these tests fast; the format is the same.
const json kFastKdf = {{"opslimit", 2}, {"memlimit_kib", 19 * 1024}};
const char* kPass = "correct horse battery";

void track_views(emma::Engine& e, std::initializer_list<const char*> items) {
  std::int64_t t = kNow;
  for (const char* id : items) {
    REQUIRE(call(e, {{"op", "track"}, {"event", {{"type", "view"}, {"item", id}}}, {"now", ++t}}).ok());
  }
}

Answer backup_of(emma::Engine& e, const std::string& pass = kPass, const char* purpose = "export") {
  return call(e, {{"op", "backup.seal"}, {"passphrase", pass}, {"purpose", purpose}, {"kdf", kFastKdf}, {"now", kNow + 100}});
}

Answer for_you(emma::Engine& e) {
  return call(e, {{"op", "recommend"}, {"request", {{"scenario", "for_you"}, {"limit", 5}}}, {"now", kNow + 200}});
}

}  // namespace

TEST_CASE("a backup restored on another device reproduces the recommendations", "[backup]") {
  emma::Engine first;
  load_small(first);
  grant(first);
  track_views(first, {"22720", "22423", "37370"});
  const Answer b = backup_of(first);
  REQUIRE(b.ok());
  CHECK(b.result().at("kdf").at("algorithm") == "argon2id13");
  CHECK(std::memcmp(b.bytes.data(), "EMBK", 4) == 0);

  emma::Engine second;
  load_small(second);
  grant(second);
  const auto before = ids_of(for_you(second));
  const Answer r = call(second, {{"op", "backup.open"}, {"passphrase", kPass}, {"now", kNow + 150}}, b.bytes);
  REQUIRE(r.ok());
  CHECK(r.result().at("events") == 3);
  CHECK(r.result().at("persist") == true);
  const auto after = ids_of(for_you(second));
  CHECK(after == ids_of(for_you(first)));
  CHECK(after != before);
}

TEST_CASE("the backup format opens with plain libsodium calls, as documented", "[backup]") {
  emma::Engine e;
  load_small(e);
  grant(e);
  track_views(e, {"85099B"});
  const Answer b = backup_of(e);
  REQUIRE(b.ok());
  const auto& d = b.bytes;
  REQUIRE(d.size() > 54 + 16);
  CHECK(d[4] == 1);
  CHECK(d[5] == 1);
  const std::uint32_t ops = d[6] | d[7] << 8 | d[8] << 16 | static_cast<std::uint32_t>(d[9]) << 24;
  const std::uint32_t kib = d[10] | d[11] << 8 | d[12] << 16 | static_cast<std::uint32_t>(d[13]) << 24;
  CHECK(ops == 2);
  CHECK(kib == 19 * 1024);
  unsigned char key[32];
  REQUIRE(crypto_pwhash(key, 32, kPass, std::strlen(kPass), d.data() + 14, ops, std::size_t{kib} * 1024,
                        crypto_pwhash_ALG_ARGON2ID13) == 0);
  std::string plain(d.size() - 54 - 16, '\0');
  unsigned long long got = 0;
  REQUIRE(crypto_aead_xchacha20poly1305_ietf_decrypt(reinterpret_cast<unsigned char*>(plain.data()), &got, nullptr,
                                                     d.data() + 54, d.size() - 54, d.data(), 30, d.data() + 30, key) == 0);
  const json doc = json::parse(plain.substr(0, got));
  CHECK(doc.at("format") == "tante-emma-backup/1");
  CHECK(doc.at("shop") == "test-shop");
  CHECK(doc.at("profile").at("items").contains("85099B"));
}

TEST_CASE("a wrong passphrase, a flipped bit or a truncation fails and leaves the session as it was", "[backup]") {
  emma::Engine first;
  load_small(first);
  grant(first);
  track_views(first, {"22720", "22423"});
  const Answer b = backup_of(first);
  REQUIRE(b.ok());

  emma::Engine second;
  load_small(second);
  grant(second);
  track_views(second, {"85099B"});
  const auto mine = ids_of(for_you(second));

  auto restore = [&](const std::vector<std::uint8_t>& bytes, const std::string& pass = kPass) {
    return call(second, {{"op", "backup.open"}, {"passphrase", pass}}, bytes);
  };
  CHECK(restore(b.bytes, "wrong horse battery").code() == "WRONG_PASSPHRASE");
  for (std::size_t at : {std::size_t{6}, std::size_t{14}, std::size_t{35}, std::size_t{60}, b.bytes.size() - 1}) {
    auto flipped = b.bytes;
    flipped[at] ^= 0x01;
    INFO("flipped byte " << at);
    const Answer a = restore(flipped);
    // Bytes 6-13 hold the parameters: a flip there may ask for more than allowed (refused
    // before any work) or derive another key; either way nothing is restored.
    CHECK((a.code() == "WRONG_PASSPHRASE" || a.code() == "BAD_BACKUP"));
  }
  auto truncated = b.bytes;
  truncated.resize(60);
  CHECK(restore(truncated).code() == "BAD_BACKUP");
  CHECK(restore(std::vector<std::uint8_t>(b.bytes.begin(), b.bytes.end() - 1)).code() == "WRONG_PASSPHRASE");
  CHECK(restore({'E', 'M', 'P', 'F', 1, 0}).code() == "BAD_BACKUP");
  CHECK(restore({}).code() == "BAD_BACKUP");
  auto newer = b.bytes;
  newer[4] = 2;
  CHECK(restore(newer).code() == "UNSUPPORTED");
  // A crafted header asking for 1 GiB is refused before allocating.
  auto greedy = b.bytes;
  greedy[10] = 0;
  greedy[11] = 0;
  greedy[12] = 0x10;
  greedy[13] = 0;
  const Answer g = restore(greedy);
  CHECK(g.code() == "BAD_BACKUP");
  CHECK_THAT(g.message(), Catch::Contains("memlimit"));

  CHECK(ids_of(for_you(second)) == mine);
}

TEST_CASE("backups are refused for another shop, without consent, with weak secrets or parameters", "[backup]") {
  emma::Engine first;
  load_small(first);
  grant(first);
  track_views(first, {"22720"});
  const Answer b = backup_of(first);
  REQUIRE(b.ok());

  emma::Engine other;
  REQUIRE(call(other, {{"op", "configure"}, {"shop", "other-shop"}}).ok());
  REQUIRE(call(other, {{"op", "catalog.load"}, {"catalog", small_catalog()}}).ok());
  grant(other);
  const Answer wrong_shop = call(other, {{"op", "backup.open"}, {"passphrase", kPass}}, b.bytes);
  CHECK(wrong_shop.code() == "BAD_BACKUP");
  CHECK_THAT(wrong_shop.message(), Catch::Contains("test-shop"));

  emma::Engine no_consent;
  load_small(no_consent);
  CHECK(call(no_consent, {{"op", "backup.open"}, {"passphrase", kPass}}, b.bytes).code() == "NO_CONSENT");
  // The shopper's own copy needs no purpose; a copy that leaves for sync does.
  CHECK(backup_of(no_consent).ok());
  CHECK(backup_of(first, kPass, "sync").code() == "NO_CONSENT");
  REQUIRE(call(first, {{"op", "consent.grant"}, {"purpose", "sync"}, {"version", "1"}, {"text", "Sync"}, {"source", "api"}}).ok());
  CHECK(backup_of(first, kPass, "sync").ok());

  CHECK(backup_of(first, "short").code() == "BAD_REQUEST");
  const Answer weak = call(first, {{"op", "backup.seal"}, {"passphrase", kPass}, {"kdf", {{"opslimit", 1}}}});
  CHECK(weak.code() == "BAD_REQUEST");
  CHECK_THAT(weak.message(), Catch::Contains("opslimit"));
  CHECK(call(first, {{"op", "backup.seal"}, {"passphrase", kPass}, {"kdf", {{"opslimit", 2}, {"memlimit_kib", 1024}}}}).code() ==
        "BAD_REQUEST");
  CHECK(call(first, {{"op", "backup.seal"}, {"passphrase", kPass}, {"purpose", "cloud"}}).code() == "BAD_REQUEST");
}

TEST_CASE("the engine says when the data key is due for rotation", "[vault][rotation]") {
  emma::Engine e;
  REQUIRE(call(e, {{"op", "configure"}, {"shop", "test-shop"}, {"keys", {{"rotation_days", 30}}}}).ok());
  REQUIRE(call(e, {{"op", "catalog.load"}, {"catalog", small_catalog()}}).ok());
  grant(e);
  const std::vector<std::uint8_t> key(32, 7);
  constexpr std::int64_t day = 86'400'000;
  auto seal_at = [&](std::int64_t now) { return call(e, {{"op", "profile.seal"}, {"now", now}}); };

  REQUIRE(call(e, {{"op", "vault.set_key"}, {"key_id", "k1"}, {"created_at", kNow}}, key).ok());
  CHECK(seal_at(kNow + 29 * day).result().at("rotate_key") == false);
  CHECK(seal_at(kNow + 31 * day).result().at("rotate_key") == true);
  // A key of unknown age (written by 0.1.0) is replaced at the next write.
  REQUIRE(call(e, {{"op", "vault.set_key"}, {"key_id", "k0"}}, key).ok());
  CHECK(seal_at(kNow).result().at("rotate_key") == true);
  // Re-sealed under the new key, the old key no longer opens it and the new one does.
  REQUIRE(call(e, {{"op", "vault.set_key"}, {"key_id", "k2"}, {"created_at", kNow}}, std::vector<std::uint8_t>(32, 9)).ok());
  const Answer sealed = seal_at(kNow + day);
  CHECK(sealed.result().at("rotate_key") == false);
  CHECK(sealed.result().at("key_id") == "k2");
  REQUIRE(call(e, {{"op", "vault.set_key"}, {"key_id", "k1"}, {"created_at", kNow}}, key).ok());
  CHECK(call(e, {{"op", "profile.open"}}, sealed.bytes).code() == "WRONG_KEY");
  CHECK(call(e, {{"op", "configure"}, {"shop", "test-shop"}, {"keys", {{"rotation_days", 0}}}}).code() == "BAD_REQUEST");
}

// JavaScriptCore has computed Argon2id wrongly, differently from call to call (docs/browsers.md,
// "Argon2id in WebKit"): the key must be one that two derivations agree on.
namespace {
int g_calls = 0;
int g_wrong_first = 0;  // the first this many derivations give a different wrong key each
int flaky_kdf(std::uint8_t* key, const std::string& secret, const std::uint8_t* salt, const emma::KdfParams& p) {
  const int n = g_calls++;
  if (crypto_pwhash(key, 32, secret.data(), secret.size(), salt, p.opslimit, std::size_t{p.memlimit_kib} * 1024,
                    crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return -1;
  }
  if (n < g_wrong_first) key[n % 32] ^= static_cast<std::uint8_t>(1 + n);
  return 0;
}
}  // namespace

TEST_CASE("a backup key is one that two derivations agree on", "[backup]") {
  REQUIRE(sodium_init() >= 0);
  const std::uint8_t salt[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
  const emma::KdfParams fast{2, 19 * 1024};
  std::uint8_t right[32], got[32];
  REQUIRE(crypto_pwhash(right, 32, kPass, std::strlen(kPass), salt, 2, 19 * 1024 * 1024, crypto_pwhash_ALG_ARGON2ID13) == 0);

  g_calls = 0, g_wrong_first = 0;
  emma::derive_agreed(got, kPass, salt, fast, flaky_kdf);
  CHECK(std::memcmp(got, right, 32) == 0);
  CHECK(g_calls == 2);  // a sound engine pays for one more derivation, no more

  g_calls = 0, g_wrong_first = 3;  // three wrong results, each different, then right twice
  emma::derive_agreed(got, kPass, salt, fast, flaky_kdf);
  CHECK(std::memcmp(got, right, 32) == 0);
  CHECK(g_calls == 5);

  g_calls = 0, g_wrong_first = 4;  // no two of five agree: refused, not a guess
  std::memset(got, 0, sizeof got);
  CHECK_THROWS_WITH(emma::derive_agreed(got, kPass, salt, fast, flaky_kdf),
                    Catch::Contains("came out differently in 5 derivations"));
  CHECK(g_calls == 5);
  const std::uint8_t zero[32] = {};
  CHECK(std::memcmp(got, zero, 32) == 0);  // nothing half-derived is handed out
}
