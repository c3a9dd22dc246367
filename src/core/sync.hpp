// End-to-end encrypted sync of the profile between the shopper's devices. The server holds
// one ciphertext per random handle and nothing else; the key never leaves the devices.
//
// - Enabling sync makes a random 128-bit handle and derives a key with Argon2id, from the
//   shopper's passphrase (so any device can join with handle + passphrase) or, without
//   one, from a random secret (then only a pairing code brings in another device).
// - Every copy is a backup (src/core/backup.hpp) sealed under that kept key.
// - A pairing code (120 random bits, shown once on the first device) seals a one-time
//   "pairing" copy that also carries the handle and key; it waits at a slot derived from
//   the code, and the server gives it out once.
// - Changes merge, nothing is lost: every device numbers its own changes (events, forgets,
//   objection) and keeps those not yet known to be in the server copy ("pending"). Every
//   copy says how many of each device's changes it holds ("seen", a version vector). A
//   device takes in a copy that holds changes it has not seen by adopting the copy and
//   replaying its own pending changes on top (a rebase), and pushes the result. The server
//   replaces a copy only if it is still the one the device read (If-Match), so two devices
//   pushing at once cannot overwrite each other; a change leaves "pending" once a copy on the
//   server holds it. Consent stays each device's own.
#pragma once
#include <cstdint>
#include <string>

#include "backup.hpp"
#include "json_input.hpp"

namespace emma {

struct SyncState {
  bool enabled = false;
  std::string handle;         // 32 lowercase hex characters
  BackupKey key;
  std::int64_t updated_at = 0;  // created_at of the newest copy pushed or applied (ms)
  std::string device;           // this device's random id (16 hex), new on enable and join
  std::uint64_t changes = 0;    // how many changes this device has made
  json pending = json::array(); // [{"n": k, "change": {...}}] oldest first, at most kMaxPending
  json seen = json::object();   // {device: changes} held by this profile, from other devices

  json to_json() const;  // kept only inside the sealed profile (it holds the key)
  static SyncState from_json(const json& doc, const char* error_code);
};

// Changes kept for a merge while offline; beyond it the oldest can be lost in a conflict.
constexpr std::size_t kMaxPending = 1000;

std::string new_sync_handle();
std::string new_sync_device();
// A version vector from a copy or a sealed profile: {16-hex device id: count}; `error_code`
// otherwise.
json check_seen(const json& seen, const char* error_code);
// A random secret for sync without a passphrase (never shown; pairing codes carry the key).
std::string new_sync_secret();
// "ABCD-EFGH-…": 24 Crockford base32 characters (120 bits) in groups of four.
std::string new_pairing_code();
// Uppercase, without separators, with O→0 and I/L→1 (what people mistype); BAD_REQUEST
// with the position of a character that cannot be in a code.
std::string normalize_pairing_code(const std::string& code);
// Where the pairing copy waits: hex BLAKE2b-128 of the normalized code under its own
// context, so the server learns nothing that opens the copy.
std::string pairing_slot(const std::string& normalized_code);
// A handle as given by a person or a page: 32 hex characters (BAD_REQUEST otherwise).
std::string check_sync_handle(const std::string& handle);

}  // namespace emma
