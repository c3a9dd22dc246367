#include "experiment.hpp"

#include "error.hpp"
#include "json_build.hpp"

namespace emma {
namespace {

constexpr std::int64_t kDayMs = 86'400'000;
// Recommended items remembered for attribution (the newest; up to twice as many between
// trims): a shopper sees a few slots of 4 to 8 items per page, so dozens of pages.
constexpr std::size_t kMaxShown = 300;

}  // namespace

void Experiment::configure(const Fields& f, double report_epsilon) {
  ExperimentConfig c;
  c.id = f.id("id", 64);
  c.control = f.num("control");
  if (!(c.control > 0 && c.control < 1)) f.fail("control", "must be the share of shoppers in control, more than 0 and less than 1");
  // A day is compared as text with today's (insights.cpp's day_string), so it must be one.
  c.ends = f.str("ends", 10);
  bool day = c.ends.size() == 10;
  for (std::size_t i = 0; day && i < 10; ++i) day = (i == 4 || i == 7) ? c.ends[i] == '-' : c.ends[i] >= '0' && c.ends[i] <= '9';
  if (!day || c.ends.compare(5, 2, "01") < 0 || c.ends.compare(5, 2, "12") > 0 || c.ends.compare(8, 2, "01") < 0 ||
      c.ends.compare(8, 2, "31") > 0) {
    f.fail("ends", "must be the last day, YYYY-MM-DD");
  }
  c.attribution_days = f.opt_num("attribution_days").value_or(7);
  if (!(c.attribution_days >= 1 && c.attribution_days <= 90)) f.fail("attribution_days", "must be from 1 to 90");
  // The outcome bits are paid from each report's ε; the audience keeps at least 0.1.
  c.epsilon = f.opt_num("epsilon").value_or(report_epsilon / 2);
  if (!(c.epsilon > 0 && c.epsilon <= report_epsilon - 0.1)) f.fail("epsilon", "must be more than 0 and leave at least 0.1 of insights.epsilon");
  config_ = std::move(c);
}

void Experiment::reset() {
  id_.clear();
  control_ = false;
  drawn_at_ = reported_at_ = 0;
  shown_ = json::array();
  counts_ = ExperimentCounts();
}

bool Experiment::active(std::int64_t now) const {
  return !id_.empty() && id_ == config_.id && day_string(now / kDayMs) <= config_.ends;
}

bool Experiment::enter(std::int64_t now, Uniform u) {
  if (config_.id.empty() || id_ == config_.id || day_string(now / kDayMs) > config_.ends) return false;
  reset();
  id_ = config_.id;
  drawn_at_ = reported_at_ = static_cast<double>(now);
  control_ = u() < config_.control;  // P(control) = its share
  return true;
}

json Experiment::recommended(const json& answer, std::int64_t at, const Catalog& catalog) {
  json ids = json::array();
  if (const json* items = Fields(answer, "", code::internal).opt_array("items")) {
    for (const auto& item : *items) {
      if (auto id = Fields(item, "", code::internal).opt_str("id", 256)) ids.push_back(product_id(&catalog, *id));
    }
  }
  record(ids, at);
  return ids;
}

void Experiment::record(const json& ids, std::int64_t at) {
  counts_.impressions += !ids.empty();
  for (const auto& id : ids) shown_.push_back(Arr()(id)(at));
  const json& all = shown_;
  if (all.size() > 2 * kMaxShown) {
    json keep = json::array();
    for (std::size_t i = all.size() - kMaxShown; i < all.size(); ++i) keep.push_back(all[i]);
    shown_ = std::move(keep);
  }
}

bool Experiment::attributed(const std::string& item, std::int64_t at) const {
  const double window = config_.attribution_days * kDayMs;
  bool yes = false;
  for (const auto& p : shown_) {
    const double t = p[1].get<double>();
    yes |= p[0].get_ref<const std::string&>() == item && t <= at && at - t <= window;
  }
  return yes;
}

ExperimentOutcomes Experiment::outcomes(const Profile& profile, const Catalog* catalog, std::int64_t since) const {
  // An act counts when it is later than `since` (the previous report) and attributed.
  ExperimentOutcomes o;
  for (const auto& [item, at] : profile.recent()) o.opened += at > since && attributed(item, at);
  for (const auto& p : profile.purchases()) {
    if (p.at <= since || !attributed(p.item, p.at)) continue;
    const Item* it = catalog ? catalog->find(p.item) : nullptr;
    o.bought += p.quantity;
    if (it && it->price > 0) o.revenue += p.quantity * it->price;
  }
  return o;
}

void Experiment::count(const Event& e, const Catalog* catalog) {
  const bool click = e.type == EventType::click, cart = e.type == EventType::add_to_cart, buy = e.type == EventType::purchase;
  if (!(click || cart || buy) || !attributed(e.item, e.at)) return;
  counts_.clicks += click;
  counts_.carts += cart;
  if (!buy) return;
  counts_.purchases += e.quantity;
  const Item* it = catalog ? catalog->find(e.item) : nullptr;
  if (it && it->price > 0) counts_.revenue += e.quantity * it->price;
}

json Experiment::to_json() const {
  if (id_.empty()) return nullptr;
  return Obj()("id", id_)("arm", arm())("drawn_at", drawn_at_)("reported_at", reported_at_)("recommended", shown_)
      ("counts", Obj()("impressions", counts_.impressions)("clicks", counts_.clicks)("carts", counts_.carts)
          ("purchases", counts_.purchases)("revenue", counts_.revenue));
}

void Experiment::restore(const json& doc, const char* where, const char* code) {
  reset();
  if (!doc.is_object()) return;  // sealed without an experiment
  const Fields f(doc, where, code);
  const std::string id = f.str("id", 64);
  const bool control = f.str("arm", 16) == "control";
  const json* shown = f.opt_array("recommended");
  bool ok = shown != nullptr;
  for (const auto& p : ok ? *shown : json::array()) ok = ok && p.is_array() && p.size() == 2 && p[0].is_string() && p[1].is_number();
  if (!ok) f.fail("recommended", "is not what this engine seals");
  id_ = id;
  control_ = control;
  drawn_at_ = f.num("drawn_at");
  reported_at_ = f.num("reported_at");
  shown_ = *shown;
  // Sealed before the counts existed: none counted yet.
  if (const json* c = f.opt_object("counts")) {
    const Fields cf(*c, std::string(where) + ".counts", code);
    counts_ = {cf.num("impressions"), cf.num("clicks"), cf.num("carts"), cf.num("purchases"), cf.num("revenue")};
  }
}

}  // namespace emma
