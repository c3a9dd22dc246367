// createEmma's consent.texts: checked at configure, and named on the records a consent tool's
// signal appends. The embed's page engines link consent_texts_none.cpp instead: the embed has
// no such option.
#include <algorithm>
#include <iterator>

#include "consent.hpp"
#include "engine.hpp"
#include "error.hpp"
#include "json_build.hpp"

namespace emma {
namespace {

// The texts the shop's consent tool shows, per purpose (createEmma's consent.texts:
// {purpose: {version, text}}), checked (BAD_REQUEST naming the field) and kept as
// {purpose: {version, text_hash}}: a TCF or Consent Mode decision on that purpose is recorded
// with them, so the record proves what the shopper was shown, as a banner's grant does.
json read_consent_texts(const json& texts) {
  Fields t(texts, "consent.texts", code::bad_request);
  json out = json::object();
  for (const auto& [purpose, v] : texts.items()) {
    if (std::find(std::begin(kPurposes), std::end(kPurposes), purpose) == std::end(kPurposes)) {
      t.fail(purpose.c_str(), "is not a purpose; use personalization, insights or sync");
    }
    Fields x = t.object(purpose.c_str());
    const std::string version = x.str("version", 64);
    const auto text = x.opt_str("text", 64 * 1024);
    out[purpose] = Obj()("version", version)("text_hash", text ? text_hash_hex(*text) : "");
  }
  return out;
}

}  // namespace

void Engine::configure_consent_texts(const json& msg) {
  if (msg.contains("consent_texts")) consent_texts_ = read_consent_texts(msg["consent_texts"]);
}

void Engine::name_consent_texts(const SignalReading& signal, std::size_t count) { consent_.name_texts(signal, count, consent_texts_); }

void Consent::name_texts(const SignalReading& signal, std::size_t count, const json& texts) {
  if (signal.source == "gpc" || !texts.is_object()) return;
  for (auto r = records_.end() - static_cast<std::ptrdiff_t>(count); r != records_.end(); ++r) {
    const auto t = texts.find(r->purpose);
    if (t != texts.end()) r->version = t->at("version"), r->text_hash = t->at("text_hash");
  }
}

}  // namespace emma
