// libFuzzer target for sync copies and backups. Raw input goes to the header reader; the
// same input sealed under the engine's kept sync key reaches the backup-document and
// profile readers behind the AEAD, which must refuse malformed copies with an error answer,
// and (with "sync_seen") the merge, which replays this device's kept changes on top.
#include <cstddef>
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "core/backup.hpp"
#include "core/engine.hpp"

namespace {

const char* kSecret = "fuzzing passphrase";

void must_answer(const emma::Response& r) {
  const auto doc = nlohmann::json::parse(r.json);
  if (doc.contains("error") == doc.contains("result")) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static emma::BackupKey* key = new emma::BackupKey(emma::derive_backup_key(kSecret, {2, 19 * 1024}));
  static emma::Engine* engine = [] {
    auto* e = new emma::Engine();
    e->handle(R"({"op":"configure","shop":"fuzz"})", nullptr, 0);
    e->handle(R"({"op":"catalog.load","catalog":{"items":[{"id":"a","category":"A"},{"id":"b","category":"B"}]}})", nullptr, 0);
    e->handle(R"({"op":"consent.grant","purpose":"personalization","version":"1"})", nullptr, 0);
    e->handle(R"({"op":"consent.grant","purpose":"sync","version":"1"})", nullptr, 0);
    // Join once with a copy sealed under `key`: from then on the engine keeps that key.
    const std::string doc = R"({"format":"tante-emma-backup/1","shop":"fuzz","created_at":1,"profile":{}})";
    const auto first = emma::seal_backup(doc, *key);
    const auto joined = e->handle(R"({"op":"sync.join","handle":"00000000000000000000000000000000","passphrase":"fuzzing passphrase"})",
                                  first.data(), first.size());
    if (nlohmann::json::parse(joined.json).contains("error")) __builtin_trap();
    return e;
  }();
  // A change of this device, kept for the merge: replayed when a copy with news is adopted.
  engine->handle(R"({"op":"track","event":{"type":"view","item":"a"},"now":2})", nullptr, 0);
  must_answer(engine->handle(R"({"op":"sync.apply","now":2})", data, size));
  const auto sealed = emma::seal_backup(std::string(reinterpret_cast<const char*>(data), size), *key);
  must_answer(engine->handle(R"({"op":"sync.apply","now":2})", sealed.data(), sealed.size()));
  // Whatever was taken in must seal again.
  const auto again = engine->handle(R"({"op":"sync.seal","now":3})", nullptr, 0);
  if (nlohmann::json::parse(again.json).contains("error")) __builtin_trap();
  return 0;
}
