// Sealing the profile at rest with XChaCha20-Poly1305-IETF (libsodium).
//
// Sealed layout (version 2):
//   0 4  magic "EMPF"
//   4 1  format version (2)
//   5 1  key id length L (1..64)
//   6 L  key id (ASCII)
//   then frames, each: 4 bytes length n (little-endian), then n bytes: a 24-byte random
//   nonce and the ciphertext with its 16-byte tag. Frame 0 is a snapshot; the frames after it
//   are changes appended since (so a write seals only what changed, see Engine); the last
//   frame is empty and marks the end.
// The associated data binds the format version, the shop id and the key id, so a blob moved
// to another shop, or relabelled with another key id or version, fails authentication; for
// a frame also its index, whether it is the end, and (after frame 0) frame 0's nonce, so
// frames cannot be moved between records, reordered, dropped or cut off. (A whole older
// record put back in place of the current one opens, as it always did.)
// Version 1 (0.1.0) is still read: after the key id, a nonce and one ciphertext with its tag.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace emma {

inline constexpr std::size_t kDataKeyBytes = 32;

class Vault {
 public:
  static constexpr std::uint8_t kVersion = 2;  // the version written

  Vault() = default;
  ~Vault();
  Vault(const Vault&) = delete;
  Vault& operator=(const Vault&) = delete;

  void set_key(const std::uint8_t* key, std::size_t size, const std::string& key_id);
  void clear_key();  // wipes the key from memory
  bool has_key() const { return has_key_; }
  const std::string& key_id() const { return key_id_; }

  // A record of one frame.
  std::vector<std::uint8_t> seal(const std::string& plaintext, const std::string& shop) const;
  // Adds a frame to a record sealed under the current key, in place.
  void append(std::vector<std::uint8_t>& record, const std::string& plaintext, const std::string& shop) const;
  // The plaintexts of the record's frames, frame 0 first. Throws TAMPERED (authentication
  // failed: modified, truncated, other shop), WRONG_KEY (sealed under another key id),
  // UNSUPPORTED (newer format) or NO_KEY.
  std::vector<std::string> open(const std::uint8_t* data, std::size_t size, const std::string& shop) const;

  // The key id recorded in a sealed blob, or "" when the blob is not a sealed profile.
  static std::string peek_key_id(const std::uint8_t* data, std::size_t size);

 private:
  // Seals `plaintext` as frame `index` at the end of `out`; `first` is where frame 0's nonce is.
  void add_frame(std::vector<std::uint8_t>& out, const std::string& plaintext, const std::string& shop,
                 std::uint32_t index, bool end, std::size_t first) const;

  std::array<std::uint8_t, kDataKeyBytes> key_{};
  std::string key_id_;
  bool has_key_ = false;
};

}  // namespace emma
