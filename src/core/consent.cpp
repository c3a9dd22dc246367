#include "consent.hpp"

#include <sodium.h>

#include "error.hpp"
#include "json_build.hpp"

namespace emma {
namespace {

constexpr std::size_t kMaxRecords = 1000;  // the oldest proofs of long-superseded states go first

std::string purpose_of(const Fields& f) {
  const std::string p = f.str("purpose", 64);
  for (const char* known : kPurposes) {
    if (p == known) return p;
  }
  f.fail("purpose", "\"" + p + "\" is not a purpose; use personalization, insights or sync");
}

std::string source_of(const Fields& f) {
  const std::string s = f.opt_str("source", 32).value_or("api");
  for (const char* known : {"banner", "api", "tcf", "consent-mode", "gpc", "privacy-centre"}) {
    if (s == known) return s;
  }
  f.fail("source", "\"" + s + "\" is not a consent source; use banner, api, tcf, consent-mode, gpc or privacy-centre");
}

}  // namespace

std::string text_hash_hex(const std::string& text) {
  unsigned char h[32];
  crypto_generichash(h, sizeof h, reinterpret_cast<const unsigned char*>(text.data()), text.size(), nullptr, 0);
  char hex[65];
  sodium_bin2hex(hex, sizeof hex, h, sizeof h);
  return hex;
}

const ConsentRecord& Consent::append(ConsentRecord record) {
  if (records_.size() >= kMaxRecords) records_.erase(records_.begin());
  records_.push_back(std::move(record));
  return records_.back();
}

const ConsentRecord& Consent::grant(const json& request, std::int64_t now) {
  Fields f(request, "", code::bad_consent);
  ConsentRecord r;
  r.purpose = purpose_of(f);
  if (gpc_ && r.purpose != "personalization") {
    throw Error(code::no_consent, "Global Privacy Control is on in this browser, so \"" + r.purpose +
                                      "\" (sharing) cannot be granted");
  }
  r.granted = true;
  r.at = now;
  // Proof needs to say what the shopper saw: a grant without the text's version is refused.
  r.version = f.str("version", 64);
  const auto text = f.opt_str("text", 64 * 1024);
  r.text_hash = text ? text_hash_hex(*text) : "";
  r.source = source_of(f);
  r.lang = f.opt_str("lang", 16).value_or("");
  return append(std::move(r));
}

const ConsentRecord& Consent::withdraw(const json& request, std::int64_t now) {
  Fields f(request, "", code::bad_consent);
  ConsentRecord r;
  r.purpose = purpose_of(f);
  r.granted = false;
  r.at = now;
  r.version = f.opt_str("version", 64).value_or("");
  r.source = source_of(f);
  r.lang = f.opt_str("lang", 16).value_or("");
  return append(std::move(r));
}

std::vector<std::string> Consent::apply_signal(const SignalReading& signal, std::int64_t now) {
  if (signal.source == "gpc") gpc_ = signal.gpc;
  std::vector<std::string> changed;
  for (const auto& d : signal.decisions) {
    if (granted(d.purpose) == d.granted) continue;
    ConsentRecord r;
    r.purpose = d.purpose;
    r.granted = d.granted;
    r.at = now;
    r.version = signal.version;
    r.source = signal.source;
    append(std::move(r));
    changed.push_back(d.purpose);
  }
  return changed;
}

bool Consent::granted(const std::string& purpose) const {
  for (auto it = records_.rbegin(); it != records_.rend(); ++it) {
    if (it->purpose == purpose) return it->granted;
  }
  return false;
}

json Consent::state_json() const {
  json state = json::object();
  for (const char* p : kPurposes) state[p] = Obj()("granted", false);
  for (const auto& r : records_) {
    state[r.purpose] = Obj()("granted", r.granted)("at", r.at)("version", r.version)("source", r.source);
  }
  return state;
}

json Consent::records_json() const {
  json out = json::array();
  for (const auto& r : records_) {
    out.push_back(Obj()("purpose", r.purpose)("granted", r.granted)("at", r.at)("version", r.version)
                      ("text_hash", r.text_hash)("source", r.source)("lang", r.lang));
  }
  return out;
}

Consent Consent::from_json(const json& records) {
  Consent c;
  if (!records.is_array()) throw Error(code::tampered, "the stored consent records are not a list");
  for (const auto& raw : records) {
    Fields f(raw, "consent", code::tampered);
    ConsentRecord r;
    r.purpose = f.str("purpose", 64);
    r.granted = f.opt_bool("granted").value_or(false);
    r.at = f.opt_int("at", 0, INT64_MAX / 2).value_or(0);
    r.version = f.opt_str("version", 64).value_or("");
    r.text_hash = f.opt_str("text_hash", 64).value_or("");
    r.source = f.opt_str("source", 32).value_or("");
    r.lang = f.opt_str("lang", 16).value_or("");
    c.records_.push_back(std::move(r));
  }
  return c;
}

}  // namespace emma
