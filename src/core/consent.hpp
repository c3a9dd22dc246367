// Consent per purpose, with the proof log of Art. 7(1): who agreed to what text, when,
// through which source. Every purpose is denied until granted.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "consent_signals.hpp"
#include "json_input.hpp"

namespace emma {

inline constexpr const char* kPurposes[] = {"personalization", "insights", "sync"};

struct ConsentRecord {
  std::string purpose;
  bool granted = false;
  std::int64_t at = 0;
  std::string version;    // the shop's version label of the text shown
  std::string text_hash;  // BLAKE2b-256 of the exact text shown, hex
  std::string source;     // banner | api | tcf | consent-mode | gpc
  std::string lang;
};

class Consent {
 public:
  // Both validate the request (BAD_CONSENT naming the field) and append a proof record.
  const ConsentRecord& grant(const json& request, std::int64_t now);
  const ConsentRecord& withdraw(const json& request, std::int64_t now);

  // Applies what a CMP, Consent Mode or GPC said; a proof record is written only for purposes
  // whose state changes. Returns those purposes.
  std::vector<std::string> apply_signal(const SignalReading& signal, std::int64_t now);
  // The shop's texts (configure's consent_texts as {purpose: {version, text_hash}}) on the last `count`
  // records, which `signal` appended; not for GPC, a browser setting that shows no text.
  // In consent_texts.cpp (the embed's page engines, which have no texts: consent_texts_none.cpp).
  void name_texts(const SignalReading& signal, std::size_t count, const json& texts);

  bool granted(const std::string& purpose) const;
  bool gpc() const { return gpc_; }
  // The live signal as another instance of the engine on this page heard it (state.adopt):
  // its proof records came with the records.
  void restore_gpc(bool on) { gpc_ = on; }
  json state_json() const;
  json records_json() const;
  bool any_record() const { return !records_.empty(); }

  json to_json() const { return records_json(); }
  static Consent from_json(const json& records);

 private:
  const ConsentRecord& append(ConsentRecord record);
  std::vector<ConsentRecord> records_;  // append-only; the state is the last record per purpose
  bool gpc_ = false;  // live browser signal, never stored: it is sent again on every page
};

std::string text_hash_hex(const std::string& text);

}  // namespace emma
