#include "vault.hpp"

#include <cstring>

#include <sodium.h>

#include "error.hpp"

namespace emma {
namespace {

constexpr char kMagic[4] = {'E', 'M', 'P', 'F'};
constexpr std::uint8_t kVersion = 1;
constexpr std::size_t kMaxKeyId = 64;
constexpr std::size_t kMaxShop = 128;
constexpr std::size_t kNonce = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
constexpr std::size_t kTag = crypto_aead_xchacha20poly1305_ietf_ABYTES;

std::vector<std::uint8_t> associated_data(std::uint8_t version, const std::string& shop,
                                          const std::string& key_id) {
  static const char kContext[] = "tante-emma profile";
  std::vector<std::uint8_t> ad(kContext, kContext + sizeof kContext - 1);
  ad.push_back(version);
  ad.push_back(static_cast<std::uint8_t>(shop.size()));
  ad.insert(ad.end(), shop.begin(), shop.end());
  ad.push_back(static_cast<std::uint8_t>(key_id.size()));
  ad.insert(ad.end(), key_id.begin(), key_id.end());
  return ad;
}

void check_shop(const std::string& shop) {
  if (shop.empty() || shop.size() > kMaxShop) {
    throw Error(code::bad_request, "the shop id must be 1 to 128 bytes (it binds the profile to one shop)");
  }
}

}  // namespace

Vault::~Vault() { clear_key(); }

void Vault::set_key(const std::uint8_t* key, std::size_t size, const std::string& key_id) {
  if (size != kDataKeyBytes) {
    throw Error(code::bad_request, "a data key is 32 bytes; got " + std::to_string(size));
  }
  if (key_id.empty() || key_id.size() > kMaxKeyId) {
    throw Error(code::bad_request, "a key id is 1 to 64 characters");
  }
  std::memcpy(key_.data(), key, kDataKeyBytes);
  key_id_ = key_id;
  has_key_ = true;
}

void Vault::clear_key() {
  sodium_memzero(key_.data(), key_.size());
  key_id_.clear();
  has_key_ = false;
}

std::vector<std::uint8_t> Vault::seal(const std::string& plaintext, const std::string& shop) const {
  if (!has_key_) throw Error(code::no_key, "no data key is set; nothing can be sealed");
  check_shop(shop);
  std::vector<std::uint8_t> out(kMagic, kMagic + 4);
  out.push_back(kVersion);
  out.push_back(static_cast<std::uint8_t>(key_id_.size()));
  out.insert(out.end(), key_id_.begin(), key_id_.end());
  const std::size_t nonce_at = out.size();
  out.resize(nonce_at + kNonce + plaintext.size() + kTag);
  randombytes_buf(out.data() + nonce_at, kNonce);
  const auto ad = associated_data(kVersion, shop, key_id_);
  unsigned long long written = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(
      out.data() + nonce_at + kNonce, &written, reinterpret_cast<const unsigned char*>(plaintext.data()),
      plaintext.size(), ad.data(), ad.size(), nullptr, out.data() + nonce_at, key_.data());
  out.resize(nonce_at + kNonce + written);
  return out;
}

std::string Vault::peek_key_id(const std::uint8_t* data, std::size_t size) {
  if (data == nullptr || size < 6 || std::memcmp(data, kMagic, 4) != 0) return "";
  const std::size_t len = data[5];
  if (len == 0 || len > kMaxKeyId || size < 6 + len) return "";
  return std::string(reinterpret_cast<const char*>(data + 6), len);
}

std::string Vault::open(const std::uint8_t* data, std::size_t size, const std::string& shop) const {
  if (!has_key_) throw Error(code::no_key, "no data key is set; the sealed profile cannot be opened");
  check_shop(shop);
  if (data == nullptr || size == 0) throw Error(code::tampered, "the sealed profile is empty (0 bytes)");
  if (size < 6 || std::memcmp(data, kMagic, 4) != 0) {
    throw Error(code::tampered, "the sealed profile does not start with \"EMPF\" (byte 0); it is not "
                                "a Tante Emma profile or it was overwritten");
  }
  if (data[4] > kVersion) {
    throw Error(code::unsupported, "the sealed profile has format version " + std::to_string(data[4]) +
                                       ", newer than this engine reads (" + std::to_string(kVersion) + ")");
  }
  const std::string key_id = peek_key_id(data, size);
  if (key_id.empty()) throw Error(code::tampered, "the sealed profile's key id (byte 5) is malformed");
  const std::size_t header = 6 + key_id.size();
  if (size < header + kNonce + kTag) {
    throw Error(code::tampered, "the sealed profile is truncated: " + std::to_string(size) +
                                    " bytes, at least " + std::to_string(header + kNonce + kTag) + " expected");
  }
  if (key_id != key_id_) {
    throw Error(code::wrong_key, "the profile was sealed under key \"" + key_id +
                                     "\" but the current key is \"" + key_id_ + "\"");
  }
  const auto ad = associated_data(data[4], shop, key_id);
  std::string plain(size - header - kNonce - kTag, '\0');
  unsigned long long got = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          reinterpret_cast<unsigned char*>(plain.data()), &got, nullptr, data + header + kNonce,
          size - header - kNonce, ad.data(), ad.size(), data + header, key_.data()) != 0) {
    throw Error(code::tampered, "the sealed profile failed authentication (" + std::to_string(size) +
                                    " bytes): it was modified, truncated, or belongs to another shop");
  }
  plain.resize(got);
  return plain;
}

}  // namespace emma
