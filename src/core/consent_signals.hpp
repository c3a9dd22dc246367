// What the page's consent signals mean for Emma's purposes. The page (JS) only relays what a
// CMP, Google Consent Mode or the browser said; this decides.
//
//  tcf           IAB TCF v2.2 TCData. personalization needs purposes 1 (store/access on a
//                device), 5 (create profiles to personalise content) and 6 (use profiles to
//                select personalised content); insights needs 1 and 9 (understand audiences
//                through statistics). Emma is the shop's own processing, so the publisher's
//                consents are read when the CMP sets them, the purpose consents otherwise.
//                Only final events count (tcloaded, useractioncomplete); gdprApplies=false
//                changes nothing (Emma then relies on its own banner).
//  consent-mode  Google Consent Mode v2: personalization follows personalization_storage.
//  gpc           Global Privacy Control: when on, insights and sync are denied (and withdrawn).
#pragma once
#include <string>
#include <vector>

#include "json_input.hpp"

namespace emma {

struct PurposeDecision {
  std::string purpose;
  bool granted;
};

struct SignalReading {
  std::string source;   // tcf | consent-mode | gpc
  std::string version;  // what the shopper agreed to, as the signal names it
  std::vector<PurposeDecision> decisions;
  bool gpc = false;
};

// Validates the signal (BAD_CONSENT naming the field) and reads it.
SignalReading read_consent_signal(const json& request);

}  // namespace emma
