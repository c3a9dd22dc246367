#include "backup.hpp"

#include <cstring>

#include <sodium.h>

#include "error.hpp"

namespace emma {
namespace {

constexpr char kMagic[4] = {'E', 'M', 'B', 'K'};
constexpr std::uint8_t kVersion = 1;
constexpr std::uint8_t kArgon2id13 = 1;
constexpr std::size_t kSaltAt = 14, kNonceAt = 30;
constexpr std::size_t kAdBytes = kNonceAt;  // magic .. salt
constexpr std::size_t kTag = crypto_aead_xchacha20poly1305_ietf_ABYTES;
static_assert(crypto_pwhash_SALTBYTES == 16, "the format has a 16-byte salt");
static_assert(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES == 24, "the format has a 24-byte nonce");
static_assert(kNonceAt + 24 == kBackupHeaderBytes, "header layout");

void put_u32(std::uint8_t* at, std::uint32_t v) {
  for (int k = 0; k < 4; ++k) at[k] = static_cast<std::uint8_t>(v >> (8 * k));
}

std::uint32_t get_u32(const std::uint8_t* at) {
  std::uint32_t v = 0;
  for (int k = 0; k < 4; ++k) v |= static_cast<std::uint32_t>(at[k]) << (8 * k);
  return v;
}

int argon2id(std::uint8_t* key, const std::string& secret, const std::uint8_t* salt, const KdfParams& p) {
  return crypto_pwhash(key, 32, secret.data(), secret.size(), salt, p.opslimit,
                       static_cast<std::size_t>(p.memlimit_kib) * 1024, crypto_pwhash_ALG_ARGON2ID13);
}

void derive(std::uint8_t* key, const std::string& secret, const std::uint8_t* salt, const KdfParams& p) {
  derive_agreed(key, secret, salt, p, argon2id);
}

}  // namespace

void derive_agreed(std::uint8_t* key, const std::string& secret, const std::uint8_t* salt, const KdfParams& p, KdfFunction kdf) {
  constexpr int kMaxDerivations = 5;
  std::uint8_t got[kMaxDerivations][32];
  for (int n = 0; n < kMaxDerivations; ++n) {
    if (kdf(got[n], secret, salt, p) != 0) {
      sodium_memzero(got, sizeof got);
      throw Error(code::out_of_memory, "deriving the backup key needs " + std::to_string(p.memlimit_kib / 1024) +
                                           " MiB of memory, which could not be allocated");
    }
    for (int m = 0; m < n; ++m) {
      if (sodium_memcmp(got[m], got[n], 32) == 0) {
        std::memcpy(key, got[n], 32);
        sodium_memzero(got, sizeof got);
        return;
      }
    }
  }
  sodium_memzero(got, sizeof got);
  throw Error(code::internal, "the backup key came out differently in " + std::to_string(kMaxDerivations) +
                                  " derivations: this browser's WebAssembly computes Argon2id wrongly (a known "
                                  "WebKit bug); nothing was sealed or opened, try again");
}

void check_backup_secret(const std::string& secret) {
  if (secret.size() < kMinSecretBytes) {
    throw Error(code::bad_request, "the passphrase is too short: at least " + std::to_string(kMinSecretBytes) +
                                       " characters (bytes in UTF-8), got " + std::to_string(secret.size()));
  }
  if (secret.size() > kMaxSecretBytes) {
    throw Error(code::bad_request, "the passphrase is longer than " + std::to_string(kMaxSecretBytes) + " bytes");
  }
}

void check_kdf(const KdfParams& p) {
  if (p.opslimit < kMinOpslimit || p.opslimit > kMaxOpslimit) {
    throw Error(code::bad_request, "Argon2id opslimit must be from " + std::to_string(kMinOpslimit) + " to " +
                                       std::to_string(kMaxOpslimit) + "; got " + std::to_string(p.opslimit));
  }
  if (p.memlimit_kib < kMinMemlimitKib || p.memlimit_kib > kMaxMemlimitKib) {
    throw Error(code::bad_request, "Argon2id memlimit must be from " + std::to_string(kMinMemlimitKib) + " to " +
                                       std::to_string(kMaxMemlimitKib) + " KiB; got " + std::to_string(p.memlimit_kib));
  }
}

BackupKey::BackupKey(const BackupKey& other) { *this = other; }
BackupKey& BackupKey::operator=(const BackupKey& other) {
  std::memcpy(key, other.key, sizeof key);
  std::memcpy(salt, other.salt, sizeof salt);
  params = other.params;
  return *this;
}
BackupKey::~BackupKey() { sodium_memzero(key, sizeof key); }

BackupKey derive_backup_key(const std::string& secret, const KdfParams& params) {
  check_backup_secret(secret);
  check_kdf(params);
  BackupKey k;
  k.params = params;
  randombytes_buf(k.salt, sizeof k.salt);
  derive(k.key, secret, k.salt, params);
  return k;
}

std::vector<std::uint8_t> seal_backup(const std::string& plaintext, const BackupKey& k) {
  std::vector<std::uint8_t> out(kBackupHeaderBytes + plaintext.size() + kTag);
  std::memcpy(out.data(), kMagic, 4);
  out[4] = kVersion;
  out[5] = kArgon2id13;
  put_u32(out.data() + 6, k.params.opslimit);
  put_u32(out.data() + 10, k.params.memlimit_kib);
  std::memcpy(out.data() + kSaltAt, k.salt, sizeof k.salt);
  randombytes_buf(out.data() + kNonceAt, crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
  unsigned long long written = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(out.data() + kBackupHeaderBytes, &written,
                                             reinterpret_cast<const unsigned char*>(plaintext.data()),
                                             plaintext.size(), out.data(), kAdBytes, nullptr,
                                             out.data() + kNonceAt, k.key);
  out.resize(kBackupHeaderBytes + written);
  return out;
}

std::vector<std::uint8_t> seal_backup(const std::string& plaintext, const std::string& secret,
                                      const KdfParams& params) {
  return seal_backup(plaintext, derive_backup_key(secret, params));
}

KdfParams backup_kdf(const std::uint8_t* data, std::size_t size) {
  if (data == nullptr || size < 6 || std::memcmp(data, kMagic, 4) != 0) {
    throw Error(code::bad_backup, "this is not a Tante Emma backup (it does not start with \"EMBK\", byte 0)");
  }
  if (data[4] > kVersion) {
    throw Error(code::unsupported, "the backup has format version " + std::to_string(data[4]) +
                                       ", newer than this engine reads (" + std::to_string(kVersion) + ")");
  }
  if (data[4] != kVersion) throw Error(code::bad_backup, "the backup's format version (byte 4) is 0");
  if (data[5] != kArgon2id13) {
    throw Error(code::bad_backup, "the backup names key derivation " + std::to_string(data[5]) +
                                      " (byte 5); only 1 (Argon2id) exists");
  }
  if (size < kBackupHeaderBytes + kTag) {
    throw Error(code::bad_backup, "the backup is truncated: " + std::to_string(size) + " bytes, at least " +
                                      std::to_string(kBackupHeaderBytes + kTag) + " expected");
  }
  return {get_u32(data + 6), get_u32(data + 10)};
}

BackupKey derive_backup_key_for(const std::uint8_t* data, std::size_t size, const std::string& secret) {
  const KdfParams params = backup_kdf(data, size);
  try {
    check_kdf(params);
  } catch (const Error& e) {
    // A file asking for more memory than any backup of ours would: refuse before allocating.
    throw Error(code::bad_backup, std::string("the backup's header (bytes 6-13): ") + e.what());
  }
  check_backup_secret(secret);
  BackupKey k;
  k.params = params;
  std::memcpy(k.salt, data + kSaltAt, sizeof k.salt);
  derive(k.key, secret, k.salt, params);
  return k;
}

std::string open_backup(const std::uint8_t* data, std::size_t size, const BackupKey& k) {
  const KdfParams params = backup_kdf(data, size);
  const bool same_derivation = params.opslimit == k.params.opslimit && params.memlimit_kib == k.params.memlimit_kib &&
                               sodium_memcmp(data + kSaltAt, k.salt, sizeof k.salt) == 0;
  std::string plain(size - kBackupHeaderBytes - kTag, '\0');
  unsigned long long got = 0;
  if (!same_derivation ||
      crypto_aead_xchacha20poly1305_ietf_decrypt(reinterpret_cast<unsigned char*>(plain.data()), &got, nullptr,
                                                 data + kBackupHeaderBytes, size - kBackupHeaderBytes, data,
                                                 kAdBytes, data + kNonceAt, k.key) != 0) {
    throw Error(code::wrong_passphrase,
                "the backup does not open with this passphrase (" + std::to_string(size) +
                    " bytes): the passphrase is wrong, or the file was modified or truncated");
  }
  plain.resize(got);
  return plain;
}

std::string open_backup(const std::uint8_t* data, std::size_t size, const std::string& secret) {
  return open_backup(data, size, derive_backup_key_for(data, size, secret));
}

}  // namespace emma
