// A profile backup the shopper can carry: sealed under a key derived from a secret the
// shopper knows (a passphrase, or a one-time pairing code for sync), never under the
// device's data key. Any libsodium implementation can open it (docs/sync-and-backups.md "Backup format").
//
// Layout (all integers little-endian):
//   0  4  magic "EMBK"
//   4  1  format version (1)
//   5  1  key derivation: 1 = Argon2id v1.3 (crypto_pwhash_ALG_ARGON2ID13)
//   6  4  Argon2id opslimit (passes)
//  10  4  Argon2id memlimit in KiB (libsodium takes bytes: KiB * 1024)
//  14 16  salt
//  30 24  nonce
//  54 ..  XChaCha20-Poly1305-IETF ciphertext with its 16-byte tag
// key = crypto_pwhash(32, secret as UTF-8 (NFC), salt, opslimit, memlimit, ARGON2ID13);
// associated data = bytes 0..29 (magic to salt), so the parameters cannot be changed
// (to weaken or to confuse) without the open failing.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace emma {

struct KdfParams {
  std::uint32_t opslimit = 3;
  std::uint32_t memlimit_kib = 64 * 1024;  // 64 MiB
};

// Why these: a backup or sync copy can be attacked offline, so each passphrase guess should
// cost as much as a shopper will wait for once: 64 MiB and 3 passes (1.5x libsodium's
// "interactive" work; measured 1.4 s in wasm under Node 20 on a shared 2-core machine; paid
// once per backup, and once per device for sync, whose key is kept). The floor is OWASP's
// minimum for Argon2id (19 MiB, 2 passes). Upper limits keep a crafted file from making the
// page allocate without bound.
inline constexpr KdfParams kDefaultKdf{};
inline constexpr std::uint32_t kMinOpslimit = 2, kMaxOpslimit = 10;
inline constexpr std::uint32_t kMinMemlimitKib = 19 * 1024, kMaxMemlimitKib = 256 * 1024;
inline constexpr std::size_t kMinSecretBytes = 10, kMaxSecretBytes = 1024;
inline constexpr std::size_t kBackupHeaderBytes = 54;

// The key is derived until two derivations agree (at most five; INTERNAL when none do):
// JavaScriptCore (WebKitGTK 2.50, likely Safari) has been seen to compute Argon2id wrongly,
// differently from call to call, while its wasm compilers take over (docs/browsers.md,
// "Argon2id in WebKit"). A backup or sync copy sealed under such a key would open nowhere, and
// a right passphrase would be refused. Costs a second derivation each time. `kdf` returns 0 on
// success (crypto_pwhash's convention); tests pass one that errs.
using KdfFunction = int (*)(std::uint8_t* key, const std::string& secret, const std::uint8_t* salt, const KdfParams& params);
void derive_agreed(std::uint8_t* key, const std::string& secret, const std::uint8_t* salt, const KdfParams& params, KdfFunction kdf);

// Refuses (BAD_REQUEST, saying why) a secret too short or too long, or parameters outside
// the limits above.
void check_backup_secret(const std::string& secret);
void check_kdf(const KdfParams& params);

std::vector<std::uint8_t> seal_backup(const std::string& plaintext, const std::string& secret,
                                      const KdfParams& params = kDefaultKdf);

// A key derived once and kept (in the sealed profile) so sync can seal every new copy under
// it without paying for Argon2id each time. Same format: salt and parameters in the header.
struct BackupKey {
  std::uint8_t key[32] = {};
  std::uint8_t salt[16] = {};
  KdfParams params;
  BackupKey() = default;
  BackupKey(const BackupKey& other);
  BackupKey& operator=(const BackupKey& other);
  ~BackupKey();
};
BackupKey derive_backup_key(const std::string& secret, const KdfParams& params = kDefaultKdf);  // new salt
std::vector<std::uint8_t> seal_backup(const std::string& plaintext, const BackupKey& key);
// With a kept key: WRONG_PASSPHRASE also when the blob names another salt or parameters.
std::string open_backup(const std::uint8_t* data, std::size_t size, const BackupKey& key);
// The key a blob was sealed under, derived from the secret with the blob's salt and
// parameters (then open_backup(data, size, key) opens it).
BackupKey derive_backup_key_for(const std::uint8_t* data, std::size_t size, const std::string& secret);

// Throws WRONG_KEY when the secret does not open it (a wrong passphrase and a modified file
// cannot be told apart: both say so), BAD_BACKUP when it is not a backup or is truncated,
// UNSUPPORTED for a newer format.
std::string open_backup(const std::uint8_t* data, std::size_t size, const std::string& secret);

// The parameters recorded in a backup's header (BAD_BACKUP when there is no valid header).
KdfParams backup_kdf(const std::uint8_t* data, std::size_t size);

}  // namespace emma
