// The engine: one shopper's session. It takes control messages (UTF-8 JSON, optionally
// with a byte payload) and answers {"result": ...} or {"error": {"code", "message"}}.
// This is the whole surface the wasm boundary and the native tests see; handle() never
// throws, and after any error the engine is as it was before the call.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "bundle.hpp"
#include "bundle_set.hpp"
#include "consent.hpp"
#include "experiment.hpp"
#include "insights.hpp"
#include "processing_record.hpp"
#include "profile.hpp"
#include "recommend.hpp"
#include "sync.hpp"
#include "vault.hpp"

namespace emma {

inline constexpr int kProfileFormat = 1;  // of the sealed profile (and the backup's profile)

struct Response {
  std::string json;                // always set
  std::vector<std::uint8_t> bytes;  // set by ops that answer bytes (profile.seal)
};

class Engine {
 public:
  Engine();
  Response handle(std::string_view request, const std::uint8_t* bytes, std::size_t size) noexcept;

 private:
  json dispatch(const std::string& op, const Fields& f, const json& msg, const std::uint8_t* bytes,
                std::size_t size, std::vector<std::uint8_t>& out_bytes);
  const Bundle& bundle() const;
  bool personalizing() const;
  // The profile a recommendation may use: none without consent, and none in an experiment's
  // control arm (every scenario then answers as for a shopper without a profile).
  const Profile* answering_profile(std::int64_t now) const;
  json sealed_plaintext() const;
  json insights_op(const std::string& op, const Fields& f, std::int64_t now);
  // A sealed record's frames taken in as this session (profile.open; state.adopt: `live`).
  json take_state(const std::vector<std::string>& frames, std::int64_t now, bool& folded, bool live);
  // engine_rights.cpp: the shopper's rights (profile.export, explain, profile.forget,
  // profile.object, backup.*), the records (consent.records, processing.record) and
  // state.adopt; engine_rights_none.cpp in the embed's page engine, which moves its session to
  // an engine with them when one is asked for.
  json rights_op(const std::string& op, const Fields& f, const json& msg, const std::uint8_t* bytes, std::size_t size,
                 std::int64_t now, std::vector<std::uint8_t>& out_bytes);
  json backup_seal(const Fields& f, std::int64_t now, std::vector<std::uint8_t>& out_bytes);
  json backup_open(const Fields& f, const std::uint8_t* bytes, std::size_t size, std::int64_t now);
  // A backup document of the current profile, and taking one in (replacing the profile).
  json backup_document(std::int64_t now) const;
  json restore_document(const json& doc, std::int64_t now);
  // engine_shards.cpp: shards.needed and shard.load (a sharded catalog: bundle_set.hpp), and
  // `partial` on an answer that lacks data it would have used.
  json shard_op(const std::string& op, const Fields& f, const std::uint8_t* bytes, std::size_t size);
  void mark_partial(json& answer, const RecommendRequest& req, const Profile* profile) const;
  // Folds the remembered pieces into one, keeping the items the profile still holds.
  void compact_memo();
  // The tracked items' data, remembered with the profile (bundle_set.hpp): a small piece for
  // each new one, added to the track's `frame`; folded into one piece now and then.
  void remember(const std::vector<Event>& events, json& frame);
  // engine_sync.cpp: the sync.* operations.
  json sync_op(const std::string& op, const Fields& f, const std::uint8_t* bytes, std::size_t size,
               std::int64_t now, std::vector<std::uint8_t>& out_bytes);
  // Sync ends (withdrawal, erase, disable): the handle whose server copy must be deleted.
  json end_sync();
  // A change made on this device ({"events"}, {"forget", "what"} or {"object"}), kept for
  // the merge while sync is on; a forget also takes what it forgets out of the kept changes.
  void note_change(json change);
  // A kept change applied again on top of a copy from another device.
  void replay(const json& change, std::int64_t now);
  // What a sync copy holds: a backup document plus how many changes of each device it has.
  json sync_copy_document(std::int64_t now) const;
  json apply_copy(const std::uint8_t* bytes, std::size_t size, std::int64_t now);

  std::string shop_;
  ProfileConfig profile_config_;
  Controller controller_;
  BundleSet bundles_;  // the bundle, or a sharded catalog's head, shards and remembered items
  std::uint64_t shard_tick_ = 0;  // which shard was used last (the set drops the least recent)
  const Catalog* catalog_or_null() const { return bundles_.loaded() ? &bundles_.view().catalog : nullptr; }
  Profile profile_;
  Consent consent_;
  Vault vault_;
  Insights insights_;  // the ε budget spent today is sealed with the profile
  Experiment experiment_;  // the shopper's arm and counted outcomes, sealed with the profile
  bool experiment_option_ = false;  // configure's experiment: the bundle's META one is not used
  json consent_texts_;  // configure's consent_texts, checked ({purpose: {version, text_hash}}), for consent.signal
  // configure's consent_texts, and naming them on the records a signal appended: consent_texts.cpp
  // (the embed's page engines: consent_texts_none.cpp, which refuses the option).
  void configure_consent_texts(const json& msg);
  void name_consent_texts(const SignalReading& signal, std::size_t count);
  bool objected_ = false;  // Art. 21: profiling paused by the shopper
  // Key rotation: the data key is replaced (and the profile re-sealed) when it is older
  // than this; its creation time comes with the key (0: unknown, so rotated at next write).
  double key_rotation_days_ = 90;
  std::int64_t key_created_at_ = 0;
  SyncState sync_;
  // The sealed record as last sealed or opened, while the session differs from it only by
  // the tracked events in `unsealed_` ([now, events] each): the next seal appends those as
  // one frame instead of sealing the whole profile again. Empty after any other change.
  std::vector<std::uint8_t> sealed_;
  std::size_t sealed_snapshot_ = 0, sealed_changes_ = 0;  // plaintext bytes in its frames
  json unsealed_ = json::array();
};

}  // namespace emma
