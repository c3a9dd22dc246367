// The record of processing activities (GDPR Art. 30), generated from the live
// configuration: what the shop's privacy officer files, always matching what runs.
#pragma once
#include <string>

#include "consent.hpp"
#include "json_input.hpp"
#include "profile.hpp"

namespace emma {

struct Controller {
  std::string name, contact, dpo;  // from the shop's configuration
};

// {"json": {...}, "markdown": "..."}
// `key_protection`: "wrapped" or "raw", how the page's storage keeps the data key (keys.js).
json processing_record(const std::string& shop, const Controller& controller, const ProfileConfig& config,
                       const Consent& consent, std::int64_t now, const std::string& key_protection);

}  // namespace emma
