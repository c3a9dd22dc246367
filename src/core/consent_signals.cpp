#include "consent_signals.hpp"

#include "error.hpp"

namespace emma {
namespace {

// A TCF purpose consent from {"1": true, ...} (the __tcfapi shape); missing means no.
bool tcf_purpose(const json* consents, int purpose) {
  if (!consents) return false;
  const auto it = consents->find(std::to_string(purpose));
  return it != consents->end() && it->is_boolean() && it->get<bool>();
}

void read_tcf(const Fields& s, SignalReading& out) {
  if (s.opt_bool("gdprApplies") == false) return;
  const std::string status = s.opt_str("eventStatus", 32).value_or("");
  if (status != "tcloaded" && status != "useractioncomplete") return;  // cmpuishown: not decided yet
  const json* consents = nullptr;
  if (const json* publisher = s.opt_object("publisher")) {
    Fields p(*publisher, "signal.publisher", code::bad_consent);
    consents = p.opt_object("consents");
  }
  bool any_publisher = false;
  if (consents) {
    for (const auto& [k, v] : consents->items()) any_publisher |= v.is_boolean() && v.get<bool>();
  }
  if (!any_publisher) {
    consents = nullptr;
    if (const json* purpose = s.opt_object("purpose")) {
      Fields p(*purpose, "signal.purpose", code::bad_consent);
      consents = p.opt_object("consents");
    }
  }
  const bool device = tcf_purpose(consents, 1);
  out.decisions.push_back({"personalization", device && tcf_purpose(consents, 5) && tcf_purpose(consents, 6)});
  out.decisions.push_back({"insights", device && tcf_purpose(consents, 9)});
  const auto policy = s.opt_int("tcfPolicyVersion", 0, 1000);
  const auto cmp = s.opt_int("cmpId", 0, 100000);
  out.version = "tcf" + (policy ? ":policy-" + std::to_string(*policy) : std::string()) +
                (cmp ? ":cmp-" + std::to_string(*cmp) : std::string());
}

}  // namespace

SignalReading read_consent_signal(const json& request) {
  Fields f(request, "", code::bad_consent);
  SignalReading out;
  out.source = f.str("source", 32);
  const json* raw = f.opt_object("signal");
  if (!raw) f.fail("signal", "is required (the object the consent source reported)");
  Fields s(*raw, "signal", code::bad_consent);
  if (out.source == "tcf") {
    read_tcf(s, out);
  } else if (out.source == "consent-mode") {
    const auto v = s.opt_str("personalization_storage", 16);
    if (v && *v != "granted" && *v != "denied") s.fail("personalization_storage", "must be \"granted\" or \"denied\"");
    if (v) out.decisions.push_back({"personalization", *v == "granted"});
    out.version = "consent-mode-v2";
  } else if (out.source == "gpc") {
    out.gpc = s.opt_bool("enabled").value_or(false);
    if (out.gpc) {
      out.decisions.push_back({"insights", false});
      out.decisions.push_back({"sync", false});
    }
    out.version = "gpc";
  } else {
    f.fail("source", "\"" + out.source + "\" is not a consent signal source; use tcf, consent-mode or gpc");
  }
  return out;
}

}  // namespace emma
