#include "processing_record.hpp"

#include <cmath>

namespace emma {
namespace {

std::string days(double d) { return std::to_string(static_cast<long long>(std::llround(d))) + " days"; }

}  // namespace

json processing_record(const std::string& shop, const Controller& controller, const ProfileConfig& config,
                       const Consent& consent, std::int64_t now) {
  const json state = consent.state_json();
  const bool insights = state.at("insights").at("granted").get<bool>();
  const bool sync = state.at("sync").at("granted").get<bool>();
  json purposes = json::array();
  purposes.push_back({{"id", "personalization"},
                      {"description", "Recommendations and content choices computed on the shopper's device from their own activity in this shop"},
                      {"legal_basis", "consent, Art. 6(1)(a) GDPR; storage on the device: Art. 5(3) ePrivacy Directive"},
                      {"granted", state.at("personalization").at("granted")}});
  purposes.push_back({{"id", "insights"},
                      {"description", "Audience statistics for the shop, reported with local differential privacy (no identifier)"},
                      {"legal_basis", "consent, Art. 6(1)(a) GDPR"},
                      {"granted", insights}});
  purposes.push_back({{"id", "sync"},
                      {"description", "End-to-end encrypted backup of the profile for the shopper's other devices"},
                      {"legal_basis", "consent, Art. 6(1)(a) GDPR"},
                      {"granted", sync}});
  json recipients = json::array();
  if (insights) recipients.push_back("the shop's statistics collector (locally noised reports only)");
  if (sync) recipients.push_back("the shop's backup store (ciphertext only; the key stays with the shopper)");
  const json categories = {"products viewed, clicked, added to or removed from the cart (item ids, times)",
                           "purchases (item ids, times, quantities)",
                           "search queries typed in the shop",
                           "interests derived from the above (per category, decayed over time)",
                           "consent records (purpose, time, text version and hash, source, language)"};
  const json security = {"profile encrypted at rest with XChaCha20-Poly1305 (libsodium); associated data binds shop, key and format",
                         "data key stored only wrapped by a non-extractable WebCrypto key (IndexedDB)",
                         "erasure and withdrawal destroy the key first (crypto-shredding), then the data",
                         "tampering detected by authentication; damaged records set aside, never silently overwritten",
                         "nothing leaves the device without consent to a named sharing purpose"};
  const json retention = {{"raw_events", days(config.raw_event_days) + ", then folded into per-item counts or dropped"},
                          {"profile", "erased after " + days(config.inactive_days) + " without use, on withdrawal of consent, or on request"},
                          {"interest_half_life", days(config.half_life_days)}};
  json j = {{"format", "tante-emma-processing-record/1"},
            {"generated_at", now},
            {"controller", {{"name", controller.name}, {"contact", controller.contact}, {"dpo", controller.dpo}, {"shop_id", shop}}},
            {"purposes", purposes},
            {"data_subjects", "visitors of the shop who use it in this browser"},
            {"data_categories", categories},
            {"recipients", recipients},
            {"where_processed", "on the shopper's own device; no server receives the profile"},
            {"transfers_to_third_countries", "none"},
            {"retention", retention},
            {"security_measures", security}};
  std::string md = "# Record of processing activities (Art. 30 GDPR)\n\n";
  md += "Controller: " + (controller.name.empty() ? std::string("(set the shop's name in the configuration)") : controller.name);
  if (!controller.contact.empty()) md += ", " + controller.contact;
  if (!controller.dpo.empty()) md += "; data protection officer: " + controller.dpo;
  md += "\n\n## Purposes\n\n| purpose | description | legal basis | consent now |\n| --- | --- | --- | --- |\n";
  for (const auto& p : purposes) {
    md += "| " + p.at("id").get<std::string>() + " | " + p.at("description").get<std::string>() + " | " +
          p.at("legal_basis").get<std::string>() + " | " + (p.at("granted").get<bool>() ? "granted" : "not granted") + " |\n";
  }
  md += "\n## Data subjects\n\n" + j.at("data_subjects").get<std::string>() + "\n\n## Categories of personal data\n\n";
  for (const auto& c : categories) md += "- " + c.get<std::string>() + "\n";
  md += "\n## Recipients\n\n";
  if (recipients.empty()) md += "None: the data stays on the shopper's device.\n";
  for (const auto& r : recipients) md += "- " + r.get<std::string>() + "\n";
  md += "\n## Transfers to third countries\n\nNone.\n\n## Retention\n\n";
  for (const auto& [k, v] : retention.items()) md += "- " + k + ": " + v.get<std::string>() + "\n";
  md += "\n## Security measures (Art. 32)\n\n";
  for (const auto& m : security) md += "- " + m.get<std::string>() + "\n";
  return {{"json", j}, {"markdown", md}};
}

}  // namespace emma
