// An A/B experiment that measures what personalization earns (docs/insights.md "Experiments").
// The shop configures it (an id, the share of shoppers in control, the last day, an
// attribution window); the engine draws the shopper's arm once, on the device, with
// libsodium's randomness, and seals it with the profile. The arm `control` is answered without
// the profile (engine.cpp: the one switch). The items recommended to the shopper are kept
// with their times; outcomes are read from the profile's own events: an item viewed (or
// clicked) or bought at most the attribution window after it was recommended. Only a shopper
// with `personalization` (and no objection) is in an experiment; nothing of it leaves the
// device except, with `insights`, the arm and two noised bits in the daily report.
#pragma once
#include <cstdint>
#include <string>

#include "catalog.hpp"
#include "error.hpp"
#include "insights.hpp"
#include "json_input.hpp"
#include "profile.hpp"

namespace emma {

// Two arms, `personalized` and `control`: an experiment compares personalization with its
// absence, the one thing the engine switches.
struct ExperimentConfig {
  std::string id;  // empty: no experiment
  double control = 0;  // the share of shoppers in control, in (0, 1)
  std::string ends;    // the last day, YYYY-MM-DD (UTC): runs while today <= ends
  double attribution_days = 7;
  double epsilon = 0;  // of each report's ε spent on the outcome bits; 0: half of it
};

// What the profile shows since `since` (ms) of the items recommended within the window
// before: opened (viewed or clicked), bought (quantity) and the revenue at catalog prices.
struct ExperimentOutcomes {
  double opened = 0, bought = 0, revenue = 0;
};

// What the shopper did with what the experiment recommended, counted as it happens, for the
// arm the shopper is in (the shopper's own, on the device; never reported as counts): slots
// answered with items, clicks on and adds to the cart of an item recommended within the
// window before, and purchases of one (quantity, revenue at catalog prices).
struct ExperimentCounts {
  double impressions = 0, clicks = 0, carts = 0, purchases = 0, revenue = 0;
};

class Experiment {
 public:
  // The `experiment` option; errors are BAD_REQUEST naming the field. `report_epsilon`: the
  // insights ε per report, of which the outcome bits take a part.
  void configure(const Fields& f, double report_epsilon);
  const ExperimentConfig& config() const { return config_; }
  const std::string& id() const { return id_; }
  const char* arm() const { return control_ ? "control" : "personalized"; }

  // In the configured experiment now: an arm is drawn for it and it has not ended.
  bool active(std::int64_t now) const;
  bool control(std::int64_t now) const { return control_ && active(now); }
  // Draws the arm when the configured experiment runs and this shopper has none for it (a
  // new shopper, a profile sealed before the experiment or by an older engine, another
  // experiment id). True when it drew: the profile must be sealed again.
  bool enter(std::int64_t now, Uniform u = secure_uniform);

  // A slot answered (a recommend answer): its items count as recommended at `at`. Returns
  // their ids, for the sealed frame that profile.open replays through record(). A variant id
  // (rerank answers with the page's own ids) counts as its product, as `track` keeps it.
  json recommended(const json& answer, std::int64_t at, const Catalog& catalog);
  void record(const json& ids, std::int64_t at);
  ExperimentOutcomes outcomes(const Profile& profile, const Catalog* catalog, std::int64_t since) const;
  // A tracked event (live, or replayed from the sealed frames): counted when attributed.
  void count(const Event& e, const Catalog* catalog);
  const ExperimentCounts& counts() const { return counts_; }
  // The report's bits cover the time since the previous report.
  double reported_at() const { return reported_at_; }
  void reported(std::int64_t now) { reported_at_ = static_cast<double>(now); }

  // Sealed with the profile (null: not in an experiment).
  json to_json() const;
  // From the sealed profile (TAMPERED when malformed), or a backup or sync copy (`where`, `code`).
  void restore(const json& doc, const char* where = "sealed profile.experiment", const char* code = code::tampered);
  void reset();

 private:
  ExperimentConfig config_;
  // The shopper's part: sealed with the profile, erased with it. Empty id: not drawn.
  std::string id_;
  bool control_ = false;
  double drawn_at_ = 0, reported_at_ = 0;
  json shown_ = json::array();  // [[item, ms], ...], oldest first
  ExperimentCounts counts_;
  // Recommended at most the window before `at` (both ends included).
  bool attributed(const std::string& item, std::int64_t at) const;
};

}  // namespace emma
