#include "test_engine.hpp"

#include "core/error.hpp"
#include "core/vault.hpp"

#include <sodium.h>

using namespace emma_test;

namespace {

std::string code_of_open(const emma::Vault& v, const std::vector<std::uint8_t>& b, const std::string& shop) {
  try {
    v.open(b.data(), b.size(), shop);
    return "";
  } catch (const emma::Error& e) {
    return e.code();
  }
}

}  // namespace

TEST_CASE("the vault seals and opens, bound to shop and key", "[vault]") {
  emma::Vault v;
  const std::vector<std::uint8_t> key(32, 1);
  v.set_key(key.data(), key.size(), "k1");
  const auto sealed = v.seal("secret profile 85123A", "shop-a");
  CHECK(v.open(sealed.data(), sealed.size(), "shop-a") == std::vector<std::string>{"secret profile 85123A"});
  const std::string as_text(sealed.begin(), sealed.end());
  CHECK(as_text.find("85123A") == std::string::npos);
  CHECK(emma::Vault::peek_key_id(sealed.data(), sealed.size()) == "k1");

  SECTION("wrong shop") { CHECK(code_of_open(v, sealed, "shop-b") == "TAMPERED"); }
  SECTION("wrong key, same id") {
    emma::Vault other;
    const std::vector<std::uint8_t> k2(32, 2);
    other.set_key(k2.data(), k2.size(), "k1");
    CHECK(code_of_open(other, sealed, "shop-a") == "TAMPERED");
  }
  SECTION("another key id") {
    emma::Vault other;
    other.set_key(key.data(), key.size(), "k2");
    CHECK(code_of_open(other, sealed, "shop-a") == "WRONG_KEY");
  }
  SECTION("every single bit flip is detected") {
    for (std::size_t i = 0; i < sealed.size(); ++i) {
      for (int bit = 0; bit < 8; bit += 3) {
        auto b = sealed;
        b[i] ^= static_cast<std::uint8_t>(1 << bit);
        const auto code = code_of_open(v, b, "shop-a");
        INFO("byte " << i << " bit " << bit);
        CHECK((code == "TAMPERED" || code == "WRONG_KEY" || code == "UNSUPPORTED"));
      }
    }
  }
  SECTION("every truncation is detected") {
    for (std::size_t n = 0; n < sealed.size(); ++n) {
      std::vector<std::uint8_t> b(sealed.begin(), sealed.begin() + static_cast<std::ptrdiff_t>(n));
      INFO("length " << n);
      CHECK(code_of_open(v, b, "shop-a") == "TAMPERED");
    }
  }
  SECTION("no key") {
    emma::Vault empty;
    CHECK(code_of_open(empty, sealed, "shop-a") == "NO_KEY");
  }
  SECTION("two seals of the same text differ (random nonce)") {
    CHECK(v.seal("x", "shop-a") != v.seal("x", "shop-a"));
  }
}

TEST_CASE("frames appended to a record open in order and cannot be cut, moved or swapped", "[vault]") {
  emma::Vault v;
  const std::vector<std::uint8_t> key(32, 1);
  v.set_key(key.data(), key.size(), "k1");
  constexpr std::ptrdiff_t kEnd = 4 + 24 + 16;  // the empty end frame: length, nonce, tag
  auto record = v.seal("snapshot", "shop-a");
  const auto one = record;
  v.append(record, "change 1", "shop-a");
  const auto two = record;
  v.append(record, "change 2", "shop-a");
  // Appending leaves what was sealed before in place: only the end is new.
  CHECK(std::equal(one.begin(), one.end() - kEnd, record.begin()));
  CHECK(std::equal(two.begin(), two.end() - kEnd, record.begin()));
  CHECK(v.open(record.data(), record.size(), "shop-a") == std::vector<std::string>{"snapshot", "change 1", "change 2"});
  const std::string as_text(record.begin(), record.end());
  CHECK(as_text.find("change") == std::string::npos);

  SECTION("every truncation is detected, also at a frame's end") {
    for (std::size_t n = 0; n < record.size(); ++n) {
      std::vector<std::uint8_t> b(record.begin(), record.begin() + static_cast<std::ptrdiff_t>(n));
      INFO("length " << n);
      CHECK(code_of_open(v, b, "shop-a") == "TAMPERED");
    }
  }
  SECTION("every single bit flip is detected") {
    for (std::size_t i = 0; i < record.size(); ++i) {
      auto b = record;
      b[i] ^= 4;
      INFO("byte " << i);
      const auto code = code_of_open(v, b, "shop-a");
      CHECK((code == "TAMPERED" || code == "WRONG_KEY" || code == "UNSUPPORTED"));
    }
  }
  SECTION("a change frame of another record of the same key does not open in this one") {
    auto other = v.seal("snapshot", "shop-a");
    v.append(other, "change X", "shop-a");
    // Put the other record's frame 1 (and its end) where this record's frame 1 is.
    const auto frame1_here = static_cast<std::ptrdiff_t>(one.size()) - kEnd;
    const auto frame1_there = static_cast<std::ptrdiff_t>(v.seal("snapshot", "shop-a").size()) - kEnd;
    std::vector<std::uint8_t> spliced(record.begin(), record.begin() + frame1_here);
    spliced.insert(spliced.end(), other.begin() + frame1_there, other.end());
    CHECK(code_of_open(v, spliced, "shop-a") == "TAMPERED");
  }
  SECTION("two change frames swapped do not open") {
    const auto a = static_cast<std::ptrdiff_t>(one.size()) - kEnd, b = static_cast<std::ptrdiff_t>(two.size()) - kEnd;  // frames 1, 2
    std::vector<std::uint8_t> swapped(record.begin(), record.begin() + a);
    swapped.insert(swapped.end(), record.begin() + b, record.end() - kEnd);
    swapped.insert(swapped.end(), record.begin() + a, record.begin() + b);
    swapped.insert(swapped.end(), record.end() - kEnd, record.end());
    REQUIRE(swapped.size() == record.size());
    CHECK(code_of_open(v, swapped, "shop-a") == "TAMPERED");
  }
}

TEST_CASE("a record of format version 1 (0.1.0) still opens", "[vault]") {
  // Version 1 as 0.1.0 wrote it: magic, 1, key id, nonce, one ciphertext under the plain
  // associated data (context, version, shop, key id).
  const std::vector<std::uint8_t> key(32, 7);
  const std::string shop = "shop-a", id = "k9", text = "{\"format\":1}";
  std::vector<std::uint8_t> rec = {'E', 'M', 'P', 'F', 1, static_cast<std::uint8_t>(id.size())};
  for (const char c : id) rec.push_back(static_cast<std::uint8_t>(c));  // (insert: a false -Warray-bounds in gcc 12)
  std::string ad = std::string("tante-emma profile") + char(1) + char(shop.size()) + shop + char(id.size()) + id;
  const std::size_t nonce_at = rec.size();
  rec.resize(nonce_at + 24 + text.size() + 16);
  randombytes_buf(rec.data() + nonce_at, 24);
  crypto_aead_xchacha20poly1305_ietf_encrypt(rec.data() + nonce_at + 24, nullptr, reinterpret_cast<const unsigned char*>(text.data()),
                                             text.size(), reinterpret_cast<const unsigned char*>(ad.data()), ad.size(), nullptr,
                                             rec.data() + nonce_at, key.data());
  emma::Vault v;
  v.set_key(key.data(), key.size(), id);
  CHECK(v.open(rec.data(), rec.size(), shop) == std::vector<std::string>{text});
  rec.back() ^= 1;
  CHECK(code_of_open(v, rec, shop) == "TAMPERED");
}
