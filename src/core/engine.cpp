#include "engine.hpp"

#include <algorithm>
#include <new>

#include <sodium.h>

#include "backup.hpp"
#include "bundle.hpp"
#include "error.hpp"
#include "json_build.hpp"
#include "recommend.hpp"
#include "segments.hpp"

namespace emma {
namespace {

constexpr const char* kEngineVersion = "0.1.0";
constexpr double kDayMs = 86'400'000.0;

std::string error_json(const char* code, const std::string& message) {
  // The message may quote input; dump() replaces invalid UTF-8 so the answer is always JSON.
  json e = Obj()("error", Obj()("code", code)("message", message));
  return e.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::int64_t now_of(const Fields& f) {
  // Time always comes from the caller, so the engine stays deterministic and testable.
  return f.opt_int("now", 0, INT64_C(1) << 53).value_or(0);
}

}  // namespace

Engine::Engine() {
  if (sodium_init() < 0) throw Error(code::internal, "libsodium failed to initialize");
}

const Bundle& Engine::bundle() const {
  if (!bundles_.loaded()) throw Error(code::no_bundle, "no bundle is loaded; load a bundle or catalog first");
  return bundles_.view();
}

json Engine::end_sync() {
  if (!sync_.enabled) return nullptr;
  const std::string handle = sync_.handle;
  sync_ = SyncState();
  return handle;
}

bool Engine::personalizing() const { return consent_.granted("personalization") && !objected_; }

const Profile* Engine::answering_profile(std::int64_t now) const {
  return personalizing() && !experiment_.control(now) ? &profile_ : nullptr;
}

json Engine::sealed_plaintext() const {
  return Obj()("format", kProfileFormat)("profile", profile_.to_json())("consent", consent_.to_json())
      ("objected", objected_)("insights", insights_.budget().to_json())("sync", sync_.to_json())
      ("experiment", experiment_.to_json())("memo", bundles_.memo());
}

Response Engine::handle(std::string_view request, const std::uint8_t* bytes, std::size_t size) noexcept {
  Response r;
  try {
    try {
      const json msg = parse_json(request, code::bad_request, "the request");
      Fields f(msg, "", code::bad_request);
      const std::string op = f.str("op", 64);
      json result = dispatch(op, f, msg, bytes, size, r.bytes);
      r.json = json(Obj()("result", std::move(result))).dump(-1, ' ', false, json::error_handler_t::replace);
    } catch (const Error& e) {
      r.bytes.clear();
      r.json = error_json(e.code().c_str(), e.what());
    } catch (const std::bad_alloc&) {
      r.bytes.clear();
      r.json = error_json(code::out_of_memory, "the engine ran out of memory; the request was too large");
    } catch (const std::exception& e) {
      r.bytes.clear();
      r.json = error_json(code::internal, std::string("internal error: ") + e.what());
    }
  } catch (...) {
    // Even building the error answer failed (out of memory): answer a fixed text.
    r.bytes.clear();
    r.json = R"({"error":{"code":"OUT_OF_MEMORY","message":"the engine ran out of memory"}})";
  }
  return r;
}

json Engine::dispatch(const std::string& op, const Fields& f, const json& msg, const std::uint8_t* bytes,
                      std::size_t size, std::vector<std::uint8_t>& out_bytes) {
  const std::int64_t now = now_of(f);
  // Any op that may change what is sealed, other than `track`, makes the next seal a whole
  // snapshot (ops not listed here do, so a new op is safe by default).
  // (A shard is shop data: what a loaded one adds to the profile, `track` seals as a frame.)
  static constexpr const char* kKeepSealed[] = {"track", "profile.seal", "recommend", "explain", "consent.state",
                                                "consent.records", "profile.export", "processing.record",
                                                "shards.needed", "shard.load"};
  if (std::none_of(std::begin(kKeepSealed), std::end(kKeepSealed), [&](const char* k) { return op == k; })) {
    sealed_.clear();
  }
  if (op == "engine.info") {
    return Obj()("version", kEngineVersion)("bundle_format", kBundleVersion)("profile_format", kProfileFormat)
        ("items", bundles_.loaded() ? bundles_.view().catalog.size() : 0)("bundle", bundles_.loaded() ? bundles_.view().meta : json());
  }
  if (op == "configure") {
    const std::string shop = f.str("shop", 128);
    if (!shop_.empty() && shop != shop_) f.fail("shop", "cannot change once set (it binds the profile)");
    shop_ = shop;
    if (f.has("retention")) {
      Fields r = f.object("retention");
      if (auto d = r.opt_num("raw_event_days")) {
        if (*d < 1 || *d > 3650) r.fail("raw_event_days", "must be from 1 to 3650");
        profile_config_.raw_event_days = *d;
      }
      if (auto d = r.opt_num("inactive_days")) {
        if (*d < 1 || *d > 3650) r.fail("inactive_days", "must be from 1 to 3650");
        profile_config_.inactive_days = *d;
      }
    }
    if (f.has("profile")) {
      // How much each event says about interest, and how fast interest fades.
      Fields pf = f.object("profile");
      auto weight = [&](const char* key, double& into, double lo) {
        if (auto v = pf.opt_num(key)) {
          if (*v < lo || *v > 100) pf.fail(key, "must be from " + std::to_string(static_cast<int>(lo)) + " to 100");
          into = *v;
        }
      };
      weight("half_life_days", profile_config_.half_life_days, 1);
      weight("view", profile_config_.w_view, 0);
      weight("click", profile_config_.w_click, 0);
      weight("add_to_cart", profile_config_.w_add_to_cart, 0);
      weight("remove_from_cart", profile_config_.w_remove_from_cart, -100);
      weight("purchase", profile_config_.w_purchase, 0);
      weight("category_view", profile_config_.w_category_view, 0);
      weight("dwell_per_minute", profile_config_.w_dwell_per_minute, 0);
    }
    if (f.has("insights")) insights_.configure(f.object("insights"));
    configure_consent_texts(msg);
    experiment_option_ = f.has("experiment");
    if (experiment_option_) experiment_.configure(f.object("experiment"), insights_.config().epsilon);
    experiment_.reset();
    if (f.has("keys")) {
      Fields k = f.object("keys");
      if (auto d = k.opt_num("rotation_days")) {
        if (*d < 1 || *d > 3650) k.fail("rotation_days", "must be from 1 to 3650");
        key_rotation_days_ = *d;
      }
    }
    if (f.has("controller")) {
      Fields c = f.object("controller");
      controller_ = {c.opt_str("name", 256).value_or(""), c.opt_str("contact", 256).value_or(""), c.opt_str("dpo", 256).value_or("")};
    }
    profile_ = Profile(profile_config_);
    bundles_.set_memo(nullptr);
    return Obj()("shop", shop_)
        ("retention", Obj()("raw_event_days", profile_config_.raw_event_days)("inactive_days", profile_config_.inactive_days));
  }
  if (op.rfind("insights.", 0) == 0) return insights_op(op, f, now);
  // The shopper's rights and the records (engine_rights.cpp; the embed's page engine leaves them
  // out and moves its session to an engine that has them: state.document below).
  // (Named one by one: a misspelt op stays "not an operation of this engine" in every build.)
  static constexpr const char* kRightsOps[] = {"profile.export", "profile.forget", "profile.object", "explain",
                                               "consent.records", "processing.record", "state.adopt",
                                               "backup.seal", "backup.open"};
  if (std::any_of(std::begin(kRightsOps), std::end(kRightsOps), [&](const char* k) { return op == k; })) {
    return rights_op(op, f, msg, bytes, size, now, out_bytes);
  }
  if (op == "bundle.load" || op == "catalog.load") {
    std::unique_ptr<Bundle> next;  // all-or-nothing: the old bundle stays until this one is whole
    if (op == "bundle.load") {
      if (bytes == nullptr || size == 0) throw Error(code::bad_bundle, "the bundle is empty (0 bytes)");
      next = read_bundle(std::vector<std::uint8_t>(bytes, bytes + size));
    } else {
      const json* c = f.opt_object("catalog");
      if (!c) f.fail("catalog", "is required (an object with \"items\")");
      next = bundle_from_catalog_json(*c);
    }
    // The shop's experiment may come with the bundle (emma-model --experiment); the page's
    // option overrides it. Checked before the bundle is taken: a bad one leaves both as they were.
    const auto x = next->meta.is_object() ? next->meta.find("experiment") : next->meta.end();
    if (!experiment_option_ && x != next->meta.end()) {
      experiment_.configure(Fields(*x, "bundle META.experiment", code::bad_bundle), insights_.config().epsilon);
    }
    bundles_.load(std::move(next));
    const Bundle& b = bundles_.view();
    return Obj()("items", b.catalog.size())("categories", b.catalog.category_count())("neighbours", b.model.neighbours.size())
        ("shards", bundles_.manifest().count);
  }
  if (op == "shards.needed" || op == "shard.load") return shard_op(op, f, bytes, size);
  if (op == "track") {
    // One event, or a batch ("events", e.g. a shop importing the order history it shows the
    // shopper): all are validated before any is applied.
    std::vector<Event> events;
    json kept = json::array();  // the events as sent, with their time: sealed, and kept for the sync merge
    const Catalog* catalog = catalog_or_null();
    auto take = [&](const json& raw) {
      events.push_back(parse_event(raw, now));
      Event& e = events.back();
      json& k = kept.emplace_back(raw);
      k["at"] = e.at;
      // A variant id is kept as its product's (one item, whichever size was bought).
      if (!e.item.empty()) k["item"] = e.item = product_id(catalog, e.item);
    };
    if (const json* batch = f.opt_array("events")) {
      if (batch->size() > 10000) f.fail("events", "holds more than 10000 events; send them in parts");
      for (std::size_t k = 0; k < batch->size(); ++k) {
        try {
          take((*batch)[k]);
        } catch (const Error& e) {
          throw Error(e.code(), "events[" + std::to_string(k) + "]: " + e.what());
        }
      }
    } else {
      // Any event that is not an object (missing, null, a string) is the page's event
      // gone wrong: BAD_EVENT, as for a malformed object.
      const json* raw = Fields(msg, "", code::bad_event).opt_object("event");
      if (!raw) throw Error(code::bad_event, "event: is required (an object with a type)");
      take(*raw);
    }
    // Without consent events are validated (the page learns of its mistakes) but not kept.
    if (!personalizing()) {
      return Obj()("recorded", false)("persist", false)
          ("reason", objected_ ? "the shopper objected to profiling" : "personalization is not granted");
    }
    const bool counting = experiment_.active(now);
    for (const auto& e : events) {
      profile_.apply(e, catalog_or_null());
      if (counting) experiment_.count(e, catalog_or_null());
    }
    profile_.enforce_retention(now);
    json frame = Arr()(now)(kept);
    remember(events, frame);  // a sharded catalog's items (engine_shards.cpp)
    unsealed_.push_back(std::move(frame));
    note_change(Obj()("events", std::move(kept)));
    return Obj()("recorded", true)("persist", true)("count", events.size());
  }
  if (op == "recommend") {
    const json* raw = f.opt_object("request");
    const RecommendRequest req = parse_recommend_request(raw ? *raw : json::object());
    const Profile* profile = answering_profile(now);
    const Bundle& b = bundle();
    // Without a profile, nor the items it remembered (bundle_set.hpp plain_view).
    json answer = recommend(profile ? b : bundles_.plain_view(), profile, req, now);
    if (bundles_.manifest().count) mark_partial(answer, req, profile);
    if (personalizing() && experiment_.active(now)) {
      // What was recommended, for attribution; sealed with the next tracked event (a frame
      // [now, [], ids] that profile.open replays like the events).
      unsealed_.push_back(Arr()(now)(json::array())(experiment_.recommended(answer, now, bundle().catalog)));
    }
    return answer;
  }
  if (op == "consent.grant") {
    const auto& rec = consent_.grant(msg, now);
    if (personalizing()) experiment_.enter(now);  // sealed now: the grant persists
    return Obj()("state", consent_.state_json())("persist", consent_.granted("personalization"))
        ("purpose", rec.purpose);
  }
  if (op == "consent.withdraw") {
    const auto& rec = consent_.withdraw(msg, now);
    // Withdrawing personalization ends the profile: the caller must destroy the keys
    // and every stored record (crypto-shredding), and so does the engine in memory.
    const bool erase = rec.purpose == "personalization";
    if (erase) {
      profile_ = Profile(profile_config_);
      bundles_.set_memo(nullptr);
      insights_.reset();
      experiment_.reset();  // out of the experiment, its counts gone with the profile
      vault_.clear_key();
    }
    // Withdrawing sync (or personalization) ends sync: the server copy goes too.
    const json sync_delete = (erase || rec.purpose == "sync") ? end_sync() : json();
    return Obj()("state", consent_.state_json())("erase_storage", erase)
        ("persist", !erase && consent_.granted("personalization"))("sync_delete", sync_delete);
  }
  if (op == "consent.signal") {
    const SignalReading signal = read_consent_signal(msg);
    const auto changed = consent_.apply_signal(signal, now);
    name_consent_texts(signal, changed.size());
    bool erase = false;
    for (const auto& p : changed) {
      if (p == "personalization" && !consent_.granted(p)) erase = true;
    }
    if (erase) {
      profile_ = Profile(profile_config_);
      bundles_.set_memo(nullptr);
      insights_.reset();
      experiment_.reset();  // out of the experiment, its counts gone with the profile
      vault_.clear_key();
    }
    const bool entered = personalizing() && experiment_.enter(now);
    const json sync_delete = (erase || !consent_.granted("sync")) ? end_sync() : json();
    return Obj()("changed", changed)("state", consent_.state_json())("erase_storage", erase)
        ("sync_delete", sync_delete)
        ("persist", (!erase && !changed.empty() && consent_.granted("personalization")) || entered)("gpc", consent_.gpc());
  }
  if (op == "consent.state") return consent_.state_json();
  if (op == "vault.set_key") {
    vault_.set_key(bytes, size, f.str("key_id", 64));
    key_created_at_ = f.opt_int("created_at", 0, INT64_C(1) << 53).value_or(0);
    return Obj()("key_id", vault_.key_id());
  }
  if (op == "profile.seal") {
    // Only what the shopper agreed to is ever written.
    if (!consent_.granted("personalization")) {
      throw Error(code::no_consent, "personalization is not granted; nothing may be stored");
    }
    if (shop_.empty()) throw Error(code::bad_request, "configure the shop id before sealing");
    // Tracked events are appended to the record as one small frame until the frames add up to
    // the snapshot's size; then a new snapshot. So a write seals a bounded amount on average,
    // however large the profile has grown (issue #14).
    const std::string changes = unsealed_.dump();
    unsealed_ = json::array();
    if (!sealed_.empty() && sealed_changes_ + changes.size() <= std::max<std::size_t>(sealed_snapshot_, 4096)) {
      vault_.append(sealed_, changes, shop_);
      sealed_changes_ += changes.size();
    } else {
      compact_memo();
      const std::string snapshot = sealed_plaintext().dump();
      sealed_ = vault_.seal(snapshot, shop_);
      sealed_snapshot_ = snapshot.size();
      sealed_changes_ = 0;
    }
    out_bytes = sealed_;
    // The caller replaces the key when it is due and seals again (docs/sync-and-backups.md "Key rotation").
    const bool due = now > 0 && (key_created_at_ <= 0 || (now - key_created_at_) > key_rotation_days_ * kDayMs);
    return Obj()("bytes", out_bytes.size())("key_id", vault_.key_id())("rotate_key", due)
        ("sync", sync_.enabled && consent_.granted("sync"));
  }
  if (op == "profile.open") {
    if (shop_.empty()) throw Error(code::bad_request, "configure the shop id before opening a profile");
    const std::vector<std::string> frames = vault_.open(bytes, size, shop_);
    bool folded = true;
    json r = take_state(frames, now, folded, false);
    // Later writes append to this record, unless taking it in changed the profile (or it is
    // of an older version, which has no frames).
    if (!folded && bytes[4] == Vault::kVersion) {
      sealed_.assign(bytes, bytes + size);
      sealed_snapshot_ = frames[0].size();
      sealed_changes_ = size - frames[0].size();
      unsealed_ = json::array();
    }
    return r;
  }
  if (op == "state.document") {
    // The whole session, for another instance of the engine on this page: what a seal would
    // hold, and the live GPC signal (never sealed). The embed's page engine leaves the shopper's
    // rights out; the first call to one moves the session to the engine that has them, which
    // takes this in (state.adopt, engine_rights.cpp). It never leaves the page.
    compact_memo();
    json doc = sealed_plaintext();
    doc["gpc"] = consent_.gpc();
    const std::string text = doc.dump();
    out_bytes.assign(text.begin(), text.end());
    return Obj()("bytes", out_bytes.size());
  }
  if (op.compare(0, 5, "sync.") == 0) return sync_op(op, f, bytes, size, now, out_bytes);
  if (op == "erase") {
    profile_ = Profile(profile_config_);
    bundles_.set_memo(nullptr);
    consent_ = Consent();
    objected_ = false;
    insights_.reset();
    experiment_.reset();
    vault_.clear_key();
    return Obj()("erased", true)("erase_storage", true)("sync_delete", end_sync());
  }
  f.fail("op", "\"" + op + "\" is not an operation of this engine");
}

// insights.domain: what a report's bits mean (public, like the bundle). insights.report: the
// reports due now, only with `insights` and `personalization` granted: the reports come from
// the local profile, which exists only with personalization, and so does the sealed budget.
json Engine::insights_op(const std::string& op, const Fields& f, std::int64_t now) {
  if (op == "insights.domain") return insights_.domain_json(bundle().catalog);
  if (op != "insights.report") f.fail("op", "\"" + op + "\" is not an operation of this engine");
  const Bundle& b = bundle();
  if (!consent_.granted("insights") || !consent_.granted("personalization") || consent_.gpc()) {
    throw Error(code::no_consent, "insights reports need insights and personalization granted (the report comes "
                                  "from the local profile) and Global Privacy Control off");
  }
  if (objected_) {
    // Art. 21: the shopper objected to profiling, so what the profile says is not used.
    return parse_known(R"({"reports":[],"reason":"the shopper objected to profiling","persist":false})");
  }
  const std::size_t max = static_cast<std::size_t>(f.opt_int("max", 1, 16).value_or(16));
  // In a running experiment the report carries the arm and the outcome bits (insights.hpp).
  ReportOutcome outcome;
  const bool in_experiment = experiment_.active(now);
  if (in_experiment) {
    const ExperimentOutcomes o = experiment_.outcomes(profile_, &b.catalog, static_cast<std::int64_t>(experiment_.reported_at()));
    outcome = {experiment_.id(), experiment_.arm(), experiment_.config().epsilon, o.opened > 0, o.bought > 0};
  }
  json r = insights_.report(b.catalog, profile_, compute_segments(b, &profile_, json(), now).at("segments"), now, max,
                            in_experiment ? &outcome : nullptr);
  if (in_experiment && !r.at("reports").empty()) experiment_.reported(now);
  r["persist"] = !r.at("reports").empty();  // the spent budget must survive a reload
  return r;
}

// A sealed record's frames (the snapshot, then the events tracked after it) taken in as this
// session: profile.open, and state.adopt with the one frame state.document gave (`live`).
// `folded`: taking it in changed what it holds (retention, an experiment's arm), so it is
// sealed anew.
json Engine::take_state(const std::vector<std::string>& frames, std::int64_t now, bool& folded, bool live) {
  folded = true;
  JsonLimits limits;
  limits.max_bytes = 64u << 20;
  const json doc = parse_json(frames[0], code::tampered, "the opened profile", limits);
  Fields pf(doc, "sealed profile", code::tampered);
  if (pf.opt_int("format", 1, 1000).value_or(0) > kProfileFormat) {
    throw Error(code::unsupported, "the profile was written by a newer engine");
  }
  // Build both before replacing either, so a bad record leaves the session untouched.
  Profile profile = Profile::from_json(doc.value("profile", json::object()), profile_config_);
  Consent consent = Consent::from_json(doc.value("consent", json::array()));
  const InsightsBudget budget = InsightsBudget::from_json(doc.value("insights", json()));
  Experiment experiment = experiment_;  // this session's configuration, the sealed state
  experiment.restore(doc.value("experiment", json()));
  // The remembered items' data first (the snapshot's piece, then those the frames added), so
  // that the frames' events find their categories.
  bundles_.set_memo(doc.value("memo", json()), frames);
  // The events tracked after the snapshot (frames of [[now, events, recommended items,
  // remembered pieces], ...]), replayed as `track` applied them, so the session is the one
  // that sealed them.
  json later = json::array();
  for (std::size_t i = 1; i < frames.size(); ++i) {
    try {
      for (const auto& c : parse_json(frames[i], code::tampered, "a sealed profile frame", limits)) {
        const bool counting = experiment.active(c.at(0));
        for (const auto& raw : c.at(1)) {
          const Event ev = parse_event(raw, c.at(0));
          profile.apply(ev, catalog_or_null());
          if (counting) experiment.count(ev, catalog_or_null());  // as `track` counted it
        }
        if (c.size() > 2) experiment.record(c.at(2), c.at(0));  // recommended items
        profile.enforce_retention(c.at(0));
        later.push_back(c.at(1));
      }
    } catch (const std::exception& e) {
      bundles_.opened(false);
      throw Error(code::tampered, std::string("a sealed profile frame: ") + e.what());
    }
  }
  bundles_.opened(true);
  // Storage limitation: a profile unused for too long is erased, not restored. (Not a session
  // handed over live: the page had it open; its next page view's profile.open decides.)
  if (!live && now > 0 && profile.expired(now)) {
    profile_ = Profile(profile_config_);
    bundles_.set_memo(nullptr);
    consent_ = Consent();
    insights_.reset();
    experiment_.reset();
    vault_.clear_key();
    // Its server copy goes too (the handle is only known from the expired profile).
    sync_ = SyncState::from_json(doc.value("sync", json()), code::tampered);
    return Obj()("expired", true)("erase_storage", true)("consent", consent_.state_json())
        ("sync_delete", end_sync());
  }
  folded = now > 0 && profile.enforce_retention(now);
  profile_ = std::move(profile);
  consent_ = std::move(consent);
  insights_.restore(budget);
  experiment_ = std::move(experiment);
  objected_ = pf.opt_bool("objected").value_or(false);
  // A profile sealed before this experiment (or by an engine without experiments) keeps
  // everything and gets its arm now; sealed again at once, so a reload does not redraw.
  if (now > 0 && personalizing() && experiment_.enter(now)) folded = true;
  sync_ = SyncState::from_json(doc.value("sync", json()), code::tampered);
  for (auto& raws : later) note_change(Obj()("events", std::move(raws)));
  return Obj()("events", profile_.event_count())("consent", consent_.state_json())("persist", folded);
}

}  // namespace emma
