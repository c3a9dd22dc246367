#include "test_engine.hpp"

#include "core/error.hpp"
#include "core/vault.hpp"

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
  CHECK(v.open(sealed.data(), sealed.size(), "shop-a") == "secret profile 85123A");
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
