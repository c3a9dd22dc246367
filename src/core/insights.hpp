// The `insights` purpose: what the shop may learn about its audience, reported with local
// differential privacy. Every decision lives here: what a report holds (the domain), how
// it is noised (the randomization), and how much privacy a shopper spends per day (the ε
// budget). JavaScript only schedules reports and sends their bytes.
//
// A report (docs/insights.md has the exact payload) holds
//   - `categories`: the shopper's top top-level category, one-hot over the domain's
//     categories, noised with Optimized Unary Encoding (Wang et al., USENIX Security 2017)
//     at ε/2: a 1 stays 1 with p = 1/2, a 0 becomes 1 with q = 1/(e^(ε/2) + 1);
//   - `segment`, `segment_bit`: one built-in segment drawn uniformly at random and the
//     shopper's membership in it, noised with Warner's randomized response at ε/2 (for a
//     single bit, randomized response beats OUE; the draw does not depend on the shopper,
//     so naming the drawn segment tells nothing);
//   - the domain id, the day (no finer time), ε, and a random nonce (replay protection).
// Both halves together are ε-locally differentially private (basic composition).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "bundle.hpp"
#include "json_input.hpp"
#include "profile.hpp"

namespace emma {

inline constexpr int kInsightsVersion = 1;

// What the bits of a report mean: the bundle's top-level categories (in the bundle's order)
// and the built-in segments. Its id is a hash of the ordered labels, so the collector can
// tell which meaning a report's bits have.
inline constexpr std::size_t kInsightsSegments = 5;
inline constexpr const char* kInsightsSegmentIds[kInsightsSegments] = {"new", "returning", "high_intent", "price_sensitive", "brand_loyal"};
struct InsightsDomain {
  std::vector<std::uint32_t> categories;  // catalog category ids of the top level
  std::string labels_json;                // ["Bags","Home",…]
  std::string id;  // 32 hex digits: BLAKE2b-128 of "tante-emma-insights/1" and the labels
};
InsightsDomain insights_domain(const Catalog& catalog);

// A source of uniform doubles in [0, 1): libsodium's randombytes (a plain function pointer,
// not std::function, to keep the wasm small).
using Uniform = double (*)();
double secure_uniform();

// OUE: `true_index` set in a vector of `d` bits, every bit then noised (see above).
std::string oue_encode(std::size_t d, std::size_t true_index, double epsilon, Uniform u);
// Warner's randomized response: the true bit kept with probability e^ε / (e^ε + 1).
bool rr_encode(bool bit, double epsilon, Uniform u);

struct InsightsConfig {
  double epsilon = 2;        // per report (half for categories, half for the segment)
  double daily_epsilon = 2;  // per shopper and UTC day: one report a day by default
};

// How much of today's budget is spent. Sealed with the profile, so a reload does not renew
// it; erased with the profile (there is then nothing left to report about).
struct InsightsBudget {
  std::int64_t day = -1;  // days since 1970-01-01 (UTC)
  double spent = 0;
  json to_json() const;
  static InsightsBudget from_json(const json& doc);
};

// "2026-11-29" for a day number.
std::string day_string(std::int64_t day);

// An experiment's part of a report (experiment.hpp): the experiment and arm in clear (drawn
// at random, they say nothing about the shopper) and two outcome bits since the last report (opened, bought),
// each by randomized response at epsilon/2. `epsilon` is taken out of the report's ε, so the
// report still spends exactly ε of the daily budget; the audience halves get (ε − epsilon)/2.
struct ReportOutcome {
  std::string experiment, arm;
  double epsilon = 0;
  bool opened = false, bought = false;
};

class Insights {
 public:
  // {epsilon, daily_epsilon}; errors are BAD_REQUEST naming the field.
  void configure(const Fields& f);
  const InsightsConfig& config() const { return config_; }
  json domain_json(const Catalog& catalog) const;

  // Reports due now for this shopper (at most `max`), spending today's budget. The caller
  // (the engine) has checked consent; `segments` is compute_segments' answer for the profile.
  // `outcome`: the shopper is in a running experiment.
  json report(const Catalog& catalog, const Profile& profile, const json& segments, std::int64_t now,
              std::size_t max, const ReportOutcome* outcome = nullptr, Uniform u = secure_uniform);

  const InsightsBudget& budget() const { return budget_; }
  void restore(InsightsBudget b) { budget_ = b; }
  void reset() { budget_ = {}; }

 private:
  InsightsConfig config_;
  InsightsBudget budget_;
};

// The shopper's top top-level category: the decayed weights of the items they looked at,
// clicked, put in the cart or bought, summed per top-level category (every action counts the
// same however deep its item's category is). -1 when no item of the catalog is in the profile.
int top_category(const InsightsDomain& domain, const Catalog& catalog, const Profile& profile, std::int64_t now);

}  // namespace emma
