// The shopper's rights and the records: the export of Art. 15/20 (profile.export), why an item
// would be recommended (explain), forgetting (profile.forget, Art. 16/17), objecting to profiling
// (profile.object, Art. 21), backups under a passphrase (backup.seal, backup.open), the consent
// proof log (consent.records) and the record of processing activities (processing.record); and
// state.adopt, which takes in a session
// another instance of the engine on the same page handed over (state.document, engine.cpp).
// The embed script's page engine is linked with engine_rights_none.cpp instead: these are asked
// for when a shopper opens the privacy centre or a shop's code calls them, and Argon2id, the
// export, the backup format and the rest cost every shop page about 12 KB brotli (docs/benchmarks.md
// "Sizes"); the first such call moves the page's session to the engine built with this file.
#include <algorithm>

#include "backup.hpp"
#include "engine.hpp"
#include "error.hpp"
#include "json_build.hpp"
#include "recommend.hpp"

namespace emma {
namespace {

constexpr const char* kBackupFormat = "tante-emma-backup/1";

}  // namespace

json Engine::rights_op(const std::string& op, const Fields& f, const json& msg, const std::uint8_t* bytes,
                       std::size_t size, std::int64_t now, std::vector<std::uint8_t>& out_bytes) {
  if (op == "explain") {
    return explain(bundle(), answering_profile(now), f.id("item", 256), now);
  }
  if (op == "profile.forget") {
    std::size_t n = 0;
    if (auto item = f.opt_id("item", 256)) {
      // A variant id forgets its product, as `track` kept it (and so does sync: engine_sync.cpp).
      n += profile_.forget_item(product_id(catalog_or_null(), *item));
    } else if (auto cat = f.opt_str("category", 1024)) {
      const std::string path = normalize_category_path(*cat);
      n += profile_.forget_category(path, catalog_or_null());
    } else if (auto q = f.opt_str("search", 256)) n += profile_.forget_search(*q);
    else f.fail("item", "name what to forget: item, category or search");
    for (const char* kind : {"item", "category", "search"}) {
      if (msg.contains(kind)) {
        note_change(Obj()("forget", kind)("what", msg[kind]));
        break;  // the one forgotten above
      }
    }
    return Obj()("forgotten", n)("persist", consent_.granted("personalization"));
  }
  if (op == "profile.object") {
    const auto on = f.opt_bool("object");
    if (!on) f.fail("object", "is required (true to stop profiling, false to resume)");
    objected_ = *on;
    note_change(Obj()("object", objected_));
    return Obj()("objected", objected_)("persist", consent_.granted("personalization"));
  }
  if (op == "consent.records") return consent_.records_json();
  if (op == "processing.record") {
    return processing_record(shop_, controller_, profile_config_, consent_, now, f.opt_str("key_protection", 16).value_or(""));
  }
  if (op == "backup.seal") return backup_seal(f, now, out_bytes);
  if (op == "backup.open") return backup_open(f, bytes, size, now);
  if (op == "state.adopt") {
    // What state.document gave, from the instance this one replaces on the page: taken in as a
    // sealed record's snapshot would be, with the live GPC signal.
    if (shop_.empty()) throw Error(code::bad_request, "configure the shop id before taking a session in");
    const std::vector<std::string> frames{std::string(reinterpret_cast<const char*>(bytes), size)};
    bool folded = false;
    json r = take_state(frames, now, folded, true);
    const json doc = parse_known(frames[0]);  // well-formed: take_state read it
    consent_.restore_gpc(doc.value("gpc", false));
    return r;
  }
  if (op == "profile.export") {
    // Art. 15/20: everything held, machine-readable (format documented in docs/api.md), plus a
    // summary a person can read.
    auto title = [&](const std::string& id) -> std::string {
      const Item* it = bundles_.loaded() ? bundles_.view().catalog.find(id) : nullptr;
      return it ? std::string(it->title) : id;
    };
    json items = json::object();
    for (const auto& [id, s] : profile_.items()) items[id] = profile_.decay(s, now);
    json cats = json::object();
    for (const auto& [name, s] : profile_.categories()) cats[name] = profile_.decay(s, now);
    json recent = json::array();
    for (const auto& [id, at] : profile_.recent()) recent.push_back(Obj()("item", id)("title", title(id))("at", at));
    json purchases = json::array();
    for (const auto& p : profile_.purchases()) {
      purchases.push_back(Obj()("item", p.item)("title", title(p.item))("at", p.at)("quantity", p.quantity));
    }
    json searches = json::array();
    for (const auto& [q, at] : profile_.searches()) searches.push_back(Obj()("query", q)("at", at));
    json summary = json::array();
    summary.push_back(std::to_string(profile_.event_count()) + " actions recorded in this browser");
    if (!profile_.purchases().empty()) summary.push_back(std::to_string(profile_.purchases().size()) + " purchase lines kept with their dates");
    std::vector<std::pair<double, std::string>> top;
    for (const auto& [name, w] : cats.items()) top.emplace_back(w.get<double>(), name);
    std::sort(top.rbegin(), top.rend());
    for (std::size_t k = 0; k < top.size() && k < 3; ++k) summary.push_back("interested in " + top[k].second);
    if (objected_) summary.push_back("profiling is paused at your request");
    return Obj()("format", "tante-emma-export/1")("shop", shop_)("exported_at", now)("summary", std::move(summary))
        ("interests", Obj()("items", std::move(items))("categories", std::move(cats)))("recently_viewed", std::move(recent))
        ("purchases", std::move(purchases))("experiment", experiment_.to_json())("purchases_counted", profile_.folded_baskets())("searches", std::move(searches))
        ("cart", profile_.cart())("event_count", profile_.event_count())
        ("first_seen", profile_.first_seen())("last_seen", profile_.last_seen())("objected", objected_)
        ("retention", Obj()("raw_event_days", profile_config_.raw_event_days)("inactive_days", profile_config_.inactive_days))
        ("consent", Obj()("state", consent_.state_json())("records", consent_.records_json()))
        // Where a copy is kept (never the key: it is in the sealed profile only).
        ("sync", Obj()("enabled", sync_.enabled)("handle", sync_.enabled ? json(sync_.handle) : json())
                     ("updated_at", sync_.updated_at)("pending", sync_.pending));
  }
  f.fail("op", "\"" + op + "\" is not an operation of this engine");
}

// A backup under a secret the shopper knows (src/core/backup.hpp has the format). For the
// shopper's own copy ("export") it is always allowed: it holds nothing an export would not.
// For "sync" it leaves the device, so it needs the sync purpose as well.
json Engine::backup_seal(const Fields& f, std::int64_t now, std::vector<std::uint8_t>& out_bytes) {
  const std::string purpose = f.opt_str("purpose", 16).value_or("export");
  if (purpose != "export" && purpose != "sync") f.fail("purpose", "must be \"export\" or \"sync\"");
  if (purpose == "sync" && !(consent_.granted("sync") && consent_.granted("personalization"))) {
    throw Error(code::no_consent, "a sync backup needs both personalization and sync granted");
  }
  if (shop_.empty()) throw Error(code::bad_request, "configure the shop id before making a backup");
  KdfParams kdf = kDefaultKdf;
  if (f.has("kdf")) {
    Fields k = f.object("kdf");
    kdf.opslimit = static_cast<std::uint32_t>(k.opt_int("opslimit", 0, 1000).value_or(kdf.opslimit));
    kdf.memlimit_kib = static_cast<std::uint32_t>(k.opt_int("memlimit_kib", 0, INT64_C(1) << 30).value_or(kdf.memlimit_kib));
  }
  out_bytes = seal_backup(backup_document(now).dump(), f.str("passphrase", kMaxSecretBytes + 1), kdf);
  return Obj()("bytes", out_bytes.size())("format", kBackupFormat)("events", profile_.event_count())
      ("kdf", Obj()("algorithm", "argon2id13")("opslimit", kdf.opslimit)("memlimit_kib", kdf.memlimit_kib));
}

// Restores a backup into this session: the profile replaces the one held here (a restore
// is the shopper's explicit choice). Consent stays this device's own: it was given here,
// and the backup's records remain in the backup.
json Engine::backup_open(const Fields& f, const std::uint8_t* bytes, std::size_t size, std::int64_t now) {
  if (shop_.empty()) throw Error(code::bad_request, "configure the shop id before restoring a backup");
  const std::string plain = open_backup(bytes, size, f.str("passphrase", kMaxSecretBytes + 1));
  if (!consent_.granted("personalization")) {
    throw Error(code::no_consent, "restoring stores a profile: personalization must be granted on this device first");
  }
  JsonLimits limits;
  limits.max_bytes = 64u << 20;
  return restore_document(parse_json(plain, code::bad_backup, "the backup", limits), now);
}

json Engine::backup_document(std::int64_t now) const {
  return Obj()("format", kBackupFormat)("shop", shop_)("created_at", now)("profile_format", kProfileFormat)
      ("profile", profile_.to_json())("objected", objected_)("consent_records", consent_.records_json())
      ("experiment", experiment_.to_json());
}

json Engine::restore_document(const json& doc, std::int64_t now) {
  Fields bf(doc, "backup", code::bad_backup);
  if (bf.str("format", 64) != kBackupFormat) bf.fail("format", "is not \"" + std::string(kBackupFormat) + "\"");
  if (bf.opt_int("profile_format", 1, 1000).value_or(1) > kProfileFormat) {
    throw Error(code::unsupported, "the backup holds a profile written by a newer engine");
  }
  const std::string shop = bf.str("shop", 128);
  if (shop != shop_) {
    throw Error(code::bad_backup, "the backup belongs to shop \"" + shop + "\", not \"" + shop_ + "\"");
  }
  const json* raw = bf.opt_object("profile");
  if (!raw) bf.fail("profile", "is required");
  Profile profile = Profile::from_json(*raw, profile_config_, code::bad_backup);
  if (now > 0) profile.enforce_retention(now);
  // The copy's arm and counts are the shopper's (one shopper, one arm on every device); a
  // copy without them (not in an experiment there, or an older engine) keeps this device's.
  Experiment experiment = experiment_;
  const auto x = doc.find("experiment");
  if (x != doc.end() && x->is_object()) experiment.restore(*x, "backup.experiment", code::bad_backup);
  profile_ = std::move(profile);
  objected_ = bf.opt_bool("objected").value_or(false);
  experiment_ = std::move(experiment);
  if (now > 0 && personalizing()) experiment_.enter(now);  // a copy from another experiment: drawn anew
  return Obj()("restored", true)("events", profile_.event_count())
      ("created_at", bf.opt_int("created_at", 0, INT64_C(1) << 53).value_or(0))("persist", true);
}

}  // namespace emma
