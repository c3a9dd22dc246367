#include "processing_record.hpp"

#include <cmath>

namespace emma {
namespace {

// The fixed part of the record as data, not code: a JSON literal costs a few hundred bytes
// of wasm where the same built with initializer lists cost over ten kilobytes.
constexpr const char* kTemplate = R"json({
 "format": "tante-emma-processing-record/1",
 "purposes": [
  {"id": "personalization", "description": "Recommendations and content choices computed on the shopper's device from their own activity in this shop", "legal_basis": "consent, Art. 6(1)(a) GDPR; storage on the device: Art. 5(3) ePrivacy Directive"},
  {"id": "insights", "description": "Audience statistics for the shop, reported with local differential privacy (no identifier)", "legal_basis": "consent, Art. 6(1)(a) GDPR"},
  {"id": "sync", "description": "End-to-end encrypted backup of the profile for the shopper's other devices", "legal_basis": "consent, Art. 6(1)(a) GDPR"}
 ],
 "data_subjects": "visitors of the shop who use it in this browser",
 "data_categories": [
  "products viewed, clicked, added to or removed from the cart (item ids, times)",
  "purchases (item ids, times, quantities)",
  "search queries typed in the shop",
  "interests derived from the above (per category, decayed over time)",
  "consent records (purpose, time, text version and hash, source, language)"
 ],
 "where_processed": "on the shopper's own device; no server receives the profile readable (with sync, an end-to-end encrypted copy goes to the shop's backup store)",
 "transfers_to_third_countries": "none",
 "security_measures": [
  "profile encrypted at rest with XChaCha20-Poly1305 (libsodium); associated data binds shop, key and format",
  "KEY",
  "erasure and withdrawal destroy the key first (crypto-shredding), then the data",
  "tampering detected by authentication; damaged records set aside, never silently overwritten",
  "nothing leaves the device without consent to a named sharing purpose"
 ],
 "recipients_when": {
  "insights": "the shop's statistics collector (locally noised reports only)",
  "sync": "the shop's backup store (ciphertext only; the key stays with the shopper)"
 }
})json";

std::string days(double d) { return std::to_string(static_cast<long long>(std::llround(d))) + " days"; }

void list(std::string& md, const json& items) {
  for (const auto& x : items) md += "- " + x.get<std::string>() + "\n";
}

}  // namespace

json processing_record(const std::string& shop, const Controller& controller, const ProfileConfig& config,
                       const Consent& consent, std::int64_t now, const std::string& key_protection) {
  json j = parse_known(kTemplate);
  // How this page's storage keeps the data key (js-bindings/src/keys.js): what the record
  // states must be what runs, not IndexedDB's protection for every storage.
  for (auto& m : j["security_measures"]) {
    if (m != "KEY") continue;
    m = key_protection == "wrapped"
      ? "data key stored only wrapped by a non-extractable WebCrypto key (IndexedDB)"
      : key_protection == "raw" ? "data key stored beside the encrypted profile in the same storage (it cannot hold WebCrypto keys), so one copy of that storage holds both"
                                : "data key kept by the page's storage (its protection was not stated)";
  }
  const json state = consent.state_json();
  json recipients = json::array();
  for (auto& p : j["purposes"]) {
    const std::string id = p["id"];
    p["granted"] = state[id]["granted"];
    // Insights are made from the local profile: without personalization nothing is sent.
    const bool sends = id != "insights" || state["personalization"]["granted"].get<bool>();
    if (p["granted"].get<bool>() && sends && j["recipients_when"].contains(id)) recipients.push_back(j["recipients_when"][id]);
  }
  j.erase("recipients_when");
  j["recipients"] = recipients;
  j["generated_at"] = now;
  j["controller"] = json::object();
  j["controller"]["name"] = controller.name;
  j["controller"]["contact"] = controller.contact;
  j["controller"]["dpo"] = controller.dpo;
  j["controller"]["shop_id"] = shop;
  j["retention"] = json::object();
  j["retention"]["raw_events"] = days(config.raw_event_days) + ", then folded into per-item counts or dropped";
  j["retention"]["profile"] = "erased after " + days(config.inactive_days) + " without use, on withdrawal of consent, or on request";
  j["retention"]["interest_half_life"] = days(config.half_life_days);

  std::string md = "# Record of processing activities (Art. 30 GDPR)\n\nController: ";
  md += controller.name.empty() ? std::string("(set the shop's name in the configuration)") : controller.name;
  if (!controller.contact.empty()) md += ", " + controller.contact;
  if (!controller.dpo.empty()) md += "; data protection officer: " + controller.dpo;
  md += "\n\n## Purposes\n\n| purpose | description | legal basis | consent now |\n| --- | --- | --- | --- |\n";
  for (const auto& p : j["purposes"]) {
    md += "| " + p["id"].get<std::string>() + " | " + p["description"].get<std::string>() + " | " +
          p["legal_basis"].get<std::string>() + " | " + (p["granted"].get<bool>() ? "granted" : "not granted") + " |\n";
  }
  md += "\n## Data subjects\n\n" + j["data_subjects"].get<std::string>() + "\n\n## Categories of personal data\n\n";
  list(md, j["data_categories"]);
  md += "\n## Recipients\n\n";
  if (recipients.empty()) md += "None: the data stays on the shopper's device.\n";
  list(md, recipients);
  md += "\n## Transfers to third countries\n\nNone.\n\n## Retention\n\n";
  for (const auto& [k, v] : j["retention"].items()) md += "- " + k + ": " + v.get<std::string>() + "\n";
  md += "\n## Security measures (Art. 32)\n\n";
  list(md, j["security_measures"]);
  json out = json::object();
  out["json"] = std::move(j);
  out["markdown"] = std::move(md);
  return out;
}

}  // namespace emma
