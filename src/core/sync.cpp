#include "sync.hpp"

#include <cstring>

#include <sodium.h>

#include "error.hpp"
#include "json_build.hpp"

namespace emma {
namespace {

constexpr char kCrockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
constexpr std::size_t kCodeChars = 24;  // 24 x 5 bits = 120 bits

std::string hex_of(const std::uint8_t* data, std::size_t size) {
  std::string out(size * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), data, size);
  out.pop_back();
  return out;
}

void hex_into(const std::string& hex, std::uint8_t* out, std::size_t size, const Fields& f, const char* key) {
  std::size_t got = 0;
  if (hex.size() != size * 2 ||
      sodium_hex2bin(out, size, hex.data(), hex.size(), nullptr, &got, nullptr) != 0 || got != size) {
    f.fail(key, "must be " + std::to_string(size * 2) + " hex characters");
  }
}

std::string base32_random(std::size_t chars) {
  std::string out;
  for (std::size_t k = 0; k < chars; ++k) out.push_back(kCrockford[randombytes_uniform(32)]);
  return out;
}

}  // namespace

json SyncState::to_json() const {
  if (!enabled) return nullptr;
  return Obj()("handle", handle)("key", hex_of(key.key, sizeof key.key))
      ("salt", hex_of(key.salt, sizeof key.salt))("opslimit", key.params.opslimit)
      ("memlimit_kib", key.params.memlimit_kib)("updated_at", updated_at)
      ("device", device)("changes", changes)("pending", pending)("seen", seen);
}

SyncState SyncState::from_json(const json& doc, const char* error_code) {
  SyncState s;
  if (doc.is_null()) return s;
  Fields f(doc, "sync", error_code);
  s.handle = f.str("handle", 32);
  if (s.handle.size() != 32) f.fail("handle", "must be 32 hex characters");
  hex_into(f.str("key", 64), s.key.key, sizeof s.key.key, f, "key");
  hex_into(f.str("salt", 32), s.key.salt, sizeof s.key.salt, f, "salt");
  s.key.params.opslimit = static_cast<std::uint32_t>(f.opt_int("opslimit", kMinOpslimit, kMaxOpslimit).value_or(0));
  s.key.params.memlimit_kib = static_cast<std::uint32_t>(f.opt_int("memlimit_kib", kMinMemlimitKib, kMaxMemlimitKib).value_or(0));
  if (s.key.params.opslimit == 0 || s.key.params.memlimit_kib == 0) f.fail("opslimit", "and memlimit_kib are required");
  s.updated_at = f.opt_int("updated_at", 0, INT64_C(1) << 53).value_or(0);
  // Profiles sealed before merging existed have none of these: a new device id, no changes.
  const auto device = f.opt_str("device", 16);
  s.device = device && device->size() == 16 ? *device : new_sync_device();
  s.changes = static_cast<std::uint64_t>(f.opt_int("changes", 0, INT64_C(1) << 53).value_or(0));
  if (const json* p = f.opt_array("pending")) s.pending = *p;
  s.seen = check_seen(doc.value("seen", json::object()), error_code);
  s.enabled = true;
  return s;
}

json check_seen(const json& seen, const char* error_code) {
  if (!seen.is_object() || seen.size() > 4096) throw Error(error_code, "sync: \"seen\" must be an object of at most 4096 devices");
  for (const auto& [device, n] : seen.items()) {
    if (device.size() != 16 || !n.is_number_unsigned()) {
      throw Error(error_code, "sync: \"seen\" maps 16-character device ids to change counts");
    }
  }
  return seen;
}

std::string new_sync_handle() {
  std::uint8_t h[16];
  randombytes_buf(h, sizeof h);
  return hex_of(h, sizeof h);
}

std::string new_sync_device() {
  std::uint8_t d[8];
  randombytes_buf(d, sizeof d);
  return hex_of(d, sizeof d);
}

std::string new_sync_secret() { return base32_random(52); }  // 260 bits

std::string new_pairing_code() {
  const std::string raw = base32_random(kCodeChars);
  std::string out;
  for (std::size_t k = 0; k < raw.size(); ++k) {
    if (k && k % 4 == 0) out.push_back('-');
    out.push_back(raw[k]);
  }
  return out;
}

std::string normalize_pairing_code(const std::string& code) {
  std::string out;
  for (std::size_t k = 0; k < code.size(); ++k) {
    char c = code[k];
    if (c == '-' || c == ' ') continue;
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if (c == 'O') c = '0';
    if (c == 'I' || c == 'L') c = '1';
    if (!std::strchr(kCrockford, c) || c == '\0') {
      throw Error(code::bad_request, "the pairing code has a character that cannot be in a code at position " +
                                         std::to_string(k + 1));
    }
    out.push_back(c);
  }
  if (out.size() != kCodeChars) {
    throw Error(code::bad_request, "a pairing code has " + std::to_string(kCodeChars) + " letters and digits; got " +
                                       std::to_string(out.size()));
  }
  return out;
}

std::string pairing_slot(const std::string& normalized_code) {
  static const char kContext[] = "tante-emma pairing slot/1:";
  std::uint8_t h[16];
  crypto_generichash_state st;
  crypto_generichash_init(&st, nullptr, 0, sizeof h);
  crypto_generichash_update(&st, reinterpret_cast<const unsigned char*>(kContext), sizeof kContext - 1);
  crypto_generichash_update(&st, reinterpret_cast<const unsigned char*>(normalized_code.data()), normalized_code.size());
  crypto_generichash_final(&st, h, sizeof h);
  return hex_of(h, sizeof h);
}

std::string check_sync_handle(const std::string& handle) {
  std::string out;
  for (char c : handle) {
    if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      throw Error(code::bad_request, "a sync id is 32 hex characters (0-9, a-f)");
    }
    out.push_back(c);
  }
  if (out.size() != 32) throw Error(code::bad_request, "a sync id is 32 hex characters; got " + std::to_string(out.size()));
  return out;
}

}  // namespace emma
