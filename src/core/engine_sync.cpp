// The sync.* operations of the engine (src/core/sync.hpp has the design). The engine
// decides whether anything may leave the device and what; JS only moves the bytes to the
// endpoint the shop configured.
#include "engine.hpp"
#include "error.hpp"
#include "json_build.hpp"

namespace emma {
namespace {

// Pairing copies are protected by the code's 120 random bits, not by the work factor:
// the floor parameters keep joining quick on a phone.
constexpr KdfParams kPairingKdf{kMinOpslimit, kMinMemlimitKib};

JsonLimits backup_limits() {
  JsonLimits limits;
  limits.max_bytes = 64u << 20;
  return limits;
}

}  // namespace

json Engine::end_sync() {
  if (!sync_.enabled) return nullptr;
  const std::string handle = sync_.handle;
  sync_ = SyncState();
  return handle;
}

json Engine::sync_op(const std::string& op, const Fields& f, const std::uint8_t* bytes, std::size_t size,
                     std::int64_t now, std::vector<std::uint8_t>& out_bytes) {
  if (op == "sync.state") {
    return Obj()("enabled", sync_.enabled)("handle", sync_.enabled ? json(sync_.handle) : json())
        ("updated_at", sync_.updated_at)
        ("allowed", consent_.granted("sync") && consent_.granted("personalization"));
  }
  if (op == "sync.pairing_slot") return Obj()("slot", pairing_slot(normalize_pairing_code(f.str("code", 64))));
  if (op == "sync.disable") return Obj()("sync_delete", end_sync())
      ("persist", consent_.granted("personalization"));

  // Everything below sends or takes in a profile copy: both purposes, every time.
  if (!consent_.granted("sync") || !consent_.granted("personalization")) {
    throw Error(code::no_consent, "sync needs both personalization and sync granted");
  }
  if (shop_.empty()) throw Error(code::bad_request, "configure the shop id before sync");
  if (op == "sync.enable") {
    if (sync_.enabled) f.fail("op", "sync is already on (sync id " + sync_.handle + "); disable it first");
    const auto passphrase = f.opt_str("passphrase", kMaxSecretBytes + 1);
    SyncState next;
    next.key = derive_backup_key(passphrase ? *passphrase : new_sync_secret());
    next.handle = new_sync_handle();
    next.enabled = true;
    sync_ = next;
    return Obj()("handle", sync_.handle)("passphrase", passphrase.has_value())("persist", true);
  }
  if (op == "sync.join") {
    if (bytes == nullptr || size == 0) throw Error(code::bad_backup, "the copy to join from is empty (0 bytes)");
    SyncState next;
    std::string plain;
    if (auto code = f.opt_str("code", 64)) {
      plain = open_backup(bytes, size, normalize_pairing_code(*code));
    } else {
      next.handle = check_sync_handle(f.str("handle", 64));
      next.key = derive_backup_key_for(bytes, size, f.str("passphrase", kMaxSecretBytes + 1));
      plain = open_backup(bytes, size, next.key);
    }
    const json doc = parse_json(plain, code::bad_backup, "the sync copy", backup_limits());
    if (doc.contains("sync")) next = SyncState::from_json(doc["sync"], code::bad_backup);
    else if (next.handle.empty()) throw Error(code::bad_backup, "the pairing copy carries no sync key");
    next.enabled = true;
    json r = restore_document(doc, now);
    next.updated_at = r.value("created_at", std::int64_t{0});
    sync_ = next;
    r["handle"] = sync_.handle;
    return r;
  }
  if (!sync_.enabled) throw Error(code::bad_request, "sync is off on this device; enable it or join first");
  if (op == "sync.seal") {
    out_bytes = seal_backup(backup_document(now).dump(), sync_.key);
    sync_.updated_at = now;
    return Obj()("handle", sync_.handle)("bytes", out_bytes.size())("persist", true);
  }
  if (op == "sync.apply") {
    if (bytes == nullptr || size == 0) throw Error(code::bad_backup, "the sync copy is empty (0 bytes)");
    const json doc = parse_json(open_backup(bytes, size, sync_.key), code::bad_backup, "the sync copy", backup_limits());
    const std::int64_t made = Fields(doc, "sync copy", code::bad_backup).opt_int("created_at", 0, INT64_C(1) << 53).value_or(0);
    if (made <= sync_.updated_at) return Obj()("applied", false)("persist", false);
    json r = restore_document(doc, now);
    sync_.updated_at = made;
    r["applied"] = true;
    return r;
  }
  if (op == "sync.pair") {
    const std::string code = new_pairing_code();
    json doc = backup_document(now);
    doc["sync"] = sync_.to_json();
    out_bytes = seal_backup(doc.dump(), normalize_pairing_code(code), kPairingKdf);
    return Obj()("code", code)("slot", pairing_slot(normalize_pairing_code(code)))("bytes", out_bytes.size());
  }
  f.fail("op", "\"" + op + "\" is not an operation of this engine");
}

}  // namespace emma
