// Sealing the profile at rest with XChaCha20-Poly1305-IETF (libsodium).
//
// Sealed layout:
//   0 4  magic "EMPF"
//   4 1  format version (1)
//   5 1  key id length L (1..64)
//   6 L  key id (ASCII)
//   . 24 random nonce
//   . .. ciphertext with its 16-byte tag
// The associated data binds the format version, the shop id and the key id, so a blob moved
// to another shop, or relabelled with another key id or version, fails authentication.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace emma {

inline constexpr std::size_t kDataKeyBytes = 32;

class Vault {
 public:
  Vault() = default;
  ~Vault();
  Vault(const Vault&) = delete;
  Vault& operator=(const Vault&) = delete;

  void set_key(const std::uint8_t* key, std::size_t size, const std::string& key_id);
  void clear_key();  // wipes the key from memory
  bool has_key() const { return has_key_; }
  const std::string& key_id() const { return key_id_; }

  std::vector<std::uint8_t> seal(const std::string& plaintext, const std::string& shop) const;
  // Throws TAMPERED (authentication failed: modified, truncated, other shop), WRONG_KEY
  // (sealed under another key id), UNSUPPORTED (newer format) or NO_KEY.
  std::string open(const std::uint8_t* data, std::size_t size, const std::string& shop) const;

  // The key id recorded in a sealed blob, or "" when the blob is not a sealed profile.
  static std::string peek_key_id(const std::uint8_t* data, std::size_t size);

 private:
  std::array<std::uint8_t, kDataKeyBytes> key_{};
  std::string key_id_;
  bool has_key_ = false;
};

}  // namespace emma
