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

// Whether the kept event `ev` is something the shopper has just asked to forget.
bool forgotten(const json& ev, const std::string& kind, const std::string& what, const Catalog* catalog) {
  if (kind == "search") return ev.value("query", "") == what;
  if (kind == "item") return ev.value("item", "") == what;
  const std::string path = normalize_category_path(what);
  const std::string cat = ev.value("category", "");
  if (!cat.empty()) {
    std::string norm;
    try {
      norm = normalize_category_path(cat);
    } catch (const Error&) {
      return false;  // not a path any forget can name
    }
    return norm == path || norm.rfind(path + "/", 0) == 0;
  }
  const Item* item = catalog ? catalog->find(ev.value("item", "")) : nullptr;
  return item && catalog->in_category(*item, catalog->category_id(path));
}

}  // namespace

void Engine::note_change(json change) {
  if (!sync_.enabled) return;
  if (change.contains("forget")) {
    // Rectification reaches the kept changes too: what is forgotten is not kept for later.
    const std::string kind = change["forget"];
    std::string what = change["what"];
    if (kind == "item") what = product_id(catalog_or_null(), what);  // a variant id: its product, as tracked
    for (auto& kept : sync_.pending) {
      const auto c = kept.find("change");
      if (c == kept.end() || !c->is_object()) continue;
      const auto events = c->find("events");
      if (events == c->end() || !events->is_array()) continue;  // a forget or an objection
      json left = json::array();
      for (auto& ev : *events) {
        if (!forgotten(ev, kind, what, catalog_or_null())) left.push_back(std::move(ev));
      }
      *events = std::move(left);
    }
  }
  sync_.pending.push_back(Obj()("n", ++sync_.changes)("change", std::move(change)));
  if (sync_.pending.size() > kMaxPending) sync_.pending.erase(sync_.pending.begin());
}

void Engine::replay(const json& change, std::int64_t now) {
  Fields f(change, "sync change", code::bad_backup);
  const Catalog* catalog = catalog_or_null();
  if (const json* events = f.opt_array("events")) {
    for (const auto& ev : *events) profile_.apply(parse_event(ev, now), catalog);
  } else if (auto kind = f.opt_str("forget", 16)) {
    const std::string what = f.str("what", 1024);
    if (*kind == "item") profile_.forget_item(product_id(catalog, what));
    else if (*kind == "category") profile_.forget_category(normalize_category_path(what), catalog);
    else profile_.forget_search(what);
  } else if (auto on = f.opt_bool("object")) {
    objected_ = *on;
  }
}

json Engine::sync_copy_document(std::int64_t now) const {
  json doc = backup_document(now);
  json seen = sync_.seen;
  seen[sync_.device] = sync_.changes;
  doc["sync_seen"] = std::move(seen);
  return doc;
}

// sync.apply: takes in a copy from the server, merging it with this device's kept changes.
json Engine::apply_copy(const std::uint8_t* bytes, std::size_t size, std::int64_t now) {
  if (bytes == nullptr || size == 0) throw Error(code::bad_backup, "the sync copy is empty (0 bytes)");
  const json doc = parse_json(open_backup(bytes, size, sync_.key), code::bad_backup, "the sync copy", backup_limits());
  const std::int64_t made = Fields(doc, "sync copy", code::bad_backup).opt_int("created_at", 0, INT64_C(1) << 53).value_or(0);
  if (!doc.contains("sync_seen")) {
    // A copy from an engine before merging: the newest copy wins.
    if (made <= sync_.updated_at) return Obj()("applied", false)("persist", false);
    json r = restore_document(doc, now);
    sync_.updated_at = made;
    r["applied"] = true;
    return r;
  }
  json theirs = check_seen(doc["sync_seen"], code::bad_backup);
  // My changes the copy holds are safe on the server: they leave the kept list.
  const std::uint64_t mine = theirs.value(sync_.device, std::uint64_t{0});
  json pending = json::array();
  for (const auto& p : sync_.pending) {
    if (p.value("n", std::uint64_t{0}) > mine) pending.push_back(p);
  }
  const bool trimmed = pending.size() != sync_.pending.size();
  theirs.erase(sync_.device);
  bool news = false;
  for (const auto& [device, n] : theirs.items()) news = news || n.get<std::uint64_t>() > sync_.seen.value(device, std::uint64_t{0});
  if (!news) {
    sync_.pending = std::move(pending);
    return Obj()("applied", false)("persist", trimmed)("push", !sync_.pending.empty());
  }
  // Adopt the copy (a malformed one throws here, with nothing changed), then my changes it
  // lacks on top, in the order they were made.
  json r = restore_document(doc, now);
  sync_.pending = std::move(pending);
  for (const auto& p : sync_.pending) {
    try {
      replay(p.value("change", json::object()), now);
    } catch (const Error&) {
      // A change this engine cannot read (a newer format) is left out, not fatal.
    }
  }
  profile_.enforce_retention(now);
  sync_.seen = std::move(theirs);
  sync_.updated_at = made;
  r["applied"] = true;
  r["push"] = !sync_.pending.empty();
  return r;
}

json Engine::sync_op(const std::string& op, const Fields& f, const std::uint8_t* bytes, std::size_t size,
                     std::int64_t now, std::vector<std::uint8_t>& out_bytes) {
  if (op == "sync.state") {
    return Obj()("enabled", sync_.enabled)("handle", sync_.enabled ? json(sync_.handle) : json())
        ("updated_at", sync_.updated_at)("pending", sync_.pending.size())
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
    next.device = new_sync_device();
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
    // A device of its own: its own id and changes, starting from what the copy holds.
    next.device = new_sync_device();
    next.changes = 0;
    next.pending = json::array();
    next.seen = check_seen(doc.value("sync_seen", json::object()), code::bad_backup);
    next.enabled = true;
    json r = restore_document(doc, now);
    next.updated_at = r.value("created_at", std::int64_t{0});
    sync_ = next;
    r["handle"] = sync_.handle;
    return r;
  }
  if (!sync_.enabled) throw Error(code::bad_request, "sync is off on this device; enable it or join first");
  if (op == "sync.seal") {
    out_bytes = seal_backup(sync_copy_document(now).dump(), sync_.key);
    sync_.updated_at = now;
    return Obj()("handle", sync_.handle)("bytes", out_bytes.size())("holds", sync_.changes)("persist", true);
  }
  if (op == "sync.pushed") {
    // The store took the copy sealed when this device had made `holds` changes: those are on
    // the server now, so they leave the kept list at once (not only at the next pull).
    const auto holds = static_cast<std::uint64_t>(f.opt_int("holds", 0, INT64_C(1) << 53).value_or(0));
    json pending = json::array();
    for (const auto& p : sync_.pending) {
      if (p.value("n", std::uint64_t{0}) > holds) pending.push_back(p);
    }
    sync_.pending = std::move(pending);
    return Obj()("pending", sync_.pending.size())("persist", true);
  }
  if (op == "sync.apply") {
    try {
      return apply_copy(bytes, size, now);
    } catch (const Error& e) {
      // Before a push, a copy that does not open or read under the kept key is of no use to
      // any of the shopper's devices (damaged, or put there by someone who learnt the sync
      // id): this device's copy replaces it, and the page hears why. A copy from a newer
      // engine (UNSUPPORTED) is another device's data: it stays, and the push waits.
      if (!f.opt_bool("before_push").value_or(false) || e.code() == code::unsupported) throw;
      return Obj()("applied", false)("replace", true)("code", e.code())("message", e.what());
    }
  }
  if (op == "sync.pair") {
    const std::string code = new_pairing_code();
    json doc = sync_copy_document(now);
    // Only what joins: the handle and key (the new device starts its own change list).
    json joins = sync_.to_json();
    for (const char* own : {"device", "changes", "pending", "seen"}) joins.erase(own);
    doc["sync"] = std::move(joins);
    out_bytes = seal_backup(doc.dump(), normalize_pairing_code(code), kPairingKdf);
    return Obj()("code", code)("slot", pairing_slot(normalize_pairing_code(code)))("bytes", out_bytes.size());
  }
  f.fail("op", "\"" + op + "\" is not an operation of this engine");
}

}  // namespace emma
