#include "vault.hpp"

#include <cstring>

#include <sodium.h>

#include "error.hpp"

namespace emma {
namespace {

constexpr char kMagic[4] = {'E', 'M', 'P', 'F'};
constexpr std::size_t kFrameHead = 4;  // a frame's length, little-endian
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

std::vector<std::uint8_t> frame_ad(const std::string& shop, const std::string& key_id, std::uint32_t index, bool end,
                                   const std::uint8_t* first_nonce) {
  auto ad = associated_data(2, shop, key_id);
  for (int s = 0; s < 32; s += 8) ad.push_back(static_cast<std::uint8_t>(index >> s));
  ad.push_back(end ? 1 : 0);
  if (index > 0) ad.insert(ad.end(), first_nonce, first_nonce + kNonce);
  return ad;
}

// Where each frame of a version 2 record starts (its nonce) and how long it is. TAMPERED when
// the frames do not fill the record exactly.
std::vector<std::pair<std::size_t, std::size_t>> split(const std::uint8_t* data, std::size_t size) {
  std::vector<std::pair<std::size_t, std::size_t>> frames;
  std::size_t at = 6 + data[5];
  while (at < size) {
    std::size_t n = 0;
    for (std::size_t s = 0; s < kFrameHead && at + s < size; ++s) n |= static_cast<std::size_t>(data[at + s]) << (8 * s);
    if (size - at < kFrameHead || n < kNonce + kTag || n > size - at - kFrameHead) {
      throw Error(code::tampered, "the sealed profile is truncated or malformed");
    }
    frames.emplace_back(at + kFrameHead, n);
    at += kFrameHead + n;
  }
  if (frames.size() < 2) throw Error(code::tampered, "the sealed profile is truncated or malformed");
  return frames;
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

void Vault::add_frame(std::vector<std::uint8_t>& out, const std::string& plaintext, const std::string& shop,
                      std::uint32_t index, bool end, std::size_t first) const {
  const std::size_t at = out.size(), n = kNonce + plaintext.size() + kTag;
  out.resize(at + kFrameHead + n);
  for (std::size_t s = 0; s < kFrameHead; ++s) out[at + s] = static_cast<std::uint8_t>(n >> (8 * s));
  std::uint8_t* nonce = out.data() + at + kFrameHead;
  randombytes_buf(nonce, kNonce);
  const auto ad = frame_ad(shop, key_id_, index, end, out.data() + first);
  crypto_aead_xchacha20poly1305_ietf_encrypt(nonce + kNonce, nullptr, reinterpret_cast<const unsigned char*>(plaintext.data()),
                                             plaintext.size(), ad.data(), ad.size(), nullptr, nonce, key_.data());
}

std::vector<std::uint8_t> Vault::seal(const std::string& plaintext, const std::string& shop) const {
  if (!has_key_) throw Error(code::no_key, "no data key is set; nothing can be sealed");
  check_shop(shop);
  std::vector<std::uint8_t> out(kMagic, kMagic + 4);
  out.push_back(Vault::kVersion);
  out.push_back(static_cast<std::uint8_t>(key_id_.size()));
  out.insert(out.end(), key_id_.begin(), key_id_.end());
  const std::size_t first = out.size() + kFrameHead;
  add_frame(out, plaintext, shop, 0, false, first);
  add_frame(out, "", shop, 1, true, first);
  return out;
}

void Vault::append(std::vector<std::uint8_t>& record, const std::string& plaintext, const std::string& shop) const {
  if (!has_key_) throw Error(code::no_key, "no data key is set; nothing can be sealed");
  // `record` is this key's (the engine drops its record when the key changes).
  const auto frames = split(record.data(), record.size());
  // The end frame makes way for the new frame and a new end after it.
  const auto index = static_cast<std::uint32_t>(frames.size() - 1);
  record.resize(frames.back().first - kFrameHead);
  add_frame(record, plaintext, shop, index, false, frames.front().first);
  add_frame(record, "", shop, index + 1, true, frames.front().first);
}

std::string Vault::peek_key_id(const std::uint8_t* data, std::size_t size) {
  if (data == nullptr || size < 6 || std::memcmp(data, kMagic, 4) != 0) return "";
  const std::size_t len = data[5];
  if (len == 0 || len > kMaxKeyId || size < 6 + len) return "";
  return std::string(reinterpret_cast<const char*>(data + 6), len);
}

std::vector<std::string> Vault::open(const std::uint8_t* data, std::size_t size, const std::string& shop) const {
  if (!has_key_) throw Error(code::no_key, "no data key is set; the sealed profile cannot be opened");
  check_shop(shop);
  if (data == nullptr || size == 0) throw Error(code::tampered, "the sealed profile is empty (0 bytes)");
  if (size < 6 || std::memcmp(data, kMagic, 4) != 0) {
    throw Error(code::tampered, "the sealed profile does not start with \"EMPF\" (byte 0); it is not "
                                "a Tante Emma profile or it was overwritten");
  }
  if (data[4] > Vault::kVersion) {
    throw Error(code::unsupported, "the sealed profile has format version " + std::to_string(data[4]) +
                                       ", newer than this engine reads (" + std::to_string(Vault::kVersion) + ")");
  }
  const std::string key_id = peek_key_id(data, size);
  if (key_id.empty()) throw Error(code::tampered, "the sealed profile's key id (byte 5) is malformed");
  const std::size_t header = 6 + key_id.size();
  // Version 1: one frame without a length, under the plain associated data.
  const auto frames = data[4] == 1 ? std::vector<std::pair<std::size_t, std::size_t>>{{header, size - header}} : split(data, size);
  if (key_id != key_id_) {
    throw Error(code::wrong_key, "the profile was sealed under key \"" + key_id +
                                     "\" but the current key is \"" + key_id_ + "\"");
  }
  std::vector<std::string> plain;
  for (std::size_t i = 0; i < frames.size(); ++i) {
    const auto [at, n] = frames[i];
    const bool end = data[4] > 1 && i + 1 == frames.size();
    const auto ad = data[4] == 1 ? associated_data(1, shop, key_id)
                                 : frame_ad(shop, key_id, static_cast<std::uint32_t>(i), end, data + frames[0].first);
    std::string text(n < kNonce + kTag ? 0 : n - kNonce - kTag, '\0');
    if (n < kNonce + kTag ||
        crypto_aead_xchacha20poly1305_ietf_decrypt(reinterpret_cast<unsigned char*>(text.data()), nullptr, nullptr,
                                                   data + at + kNonce, n - kNonce, ad.data(), ad.size(), data + at,
                                                   key_.data()) != 0 ||
        (end && !text.empty())) {
      throw Error(code::tampered, "the sealed profile failed authentication: it was modified, truncated, or belongs to another shop");
    }
    if (!end) plain.push_back(std::move(text));
  }
  return plain;
}

}  // namespace emma
