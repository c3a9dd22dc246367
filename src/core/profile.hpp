// The shopper's profile: what their own actions say about their interests, kept as
// exponentially decayed weights per item and per category, plus their recent views.
// It is built only while the shopper has granted `personalization` (the engine decides).
#pragma once
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "catalog.hpp"
#include "json_input.hpp"

namespace emma {

enum class EventType { view, click, add_to_cart, remove_from_cart, purchase, search, category_view, dwell };

struct Event {
  EventType type = EventType::view;
  std::string item;      // item events
  std::string category;  // category_view
  std::string query;     // search
  double quantity = 1;   // purchase, add_to_cart
  double seconds = 0;    // dwell
  std::int64_t at = 0;   // ms since the Unix epoch
};

const char* event_type_name(EventType type);

// Validates one event from a page; errors are BAD_EVENT and name the field.
Event parse_event(const json& raw, std::int64_t now_ms);

struct ProfileConfig {
  double half_life_days = 14;
  std::size_t max_items = 2000;      // the weakest signals go first
  std::size_t max_categories = 500;
  std::size_t max_recent = 50;
  std::size_t max_purchases = 2000;  // purchase lines kept for repurchase cycles (oldest go first)
  std::size_t max_searches = 20;
  std::size_t max_cart = 200;
  // Storage limitation (Art. 5(1)(e)): raw events older than this are folded into counts or
  // dropped; a profile unused for `inactive_days` is erased (13 months, as commonly advised
  // for trackers).
  double raw_event_days = 180;
  double inactive_days = 395;
  // How much one event says about interest, relative to a view.
  double w_view = 1, w_click = 1.5, w_add_to_cart = 3, w_remove_from_cart = -2, w_purchase = 5,
         w_category_view = 0.5, w_dwell_per_minute = 0.5;
};

struct Signal {
  double weight = 0;    // value at time `at`
  std::int64_t at = 0;  // ms
};

struct Purchase {
  std::string item;
  std::int64_t at = 0;  // ms; lines of one order share it
  double quantity = 1;
};

class Profile {
 public:
  explicit Profile(ProfileConfig config = {}) : config_(config) {}

  void apply(const Event& event, const Catalog* catalog);

  // Art. 16: the shopper corrects their profile. Each returns how many entries went.
  std::size_t forget_item(const std::string& id);
  std::size_t forget_category(const std::string& path, const Catalog* catalog);
  std::size_t forget_search(const std::string& query);
  // Folds or drops raw events past the retention window; true when anything changed.
  bool enforce_retention(std::int64_t now);
  bool expired(std::int64_t now) const;
  const std::unordered_map<std::string, double>& folded_baskets() const { return folded_baskets_; }
  double item_weight(const std::string& id, std::int64_t now) const;
  double category_weight(const std::string& name, std::int64_t now) const;
  const std::unordered_map<std::string, Signal>& items() const { return items_; }
  const std::unordered_map<std::string, Signal>& categories() const { return categories_; }
  const std::vector<std::pair<std::string, std::int64_t>>& recent() const { return recent_; }
  const std::vector<Purchase>& purchases() const { return purchases_; }
  const std::vector<std::pair<std::string, std::int64_t>>& searches() const { return searches_; }
  const std::vector<std::string>& cart() const { return cart_; }
  std::int64_t first_seen() const { return first_seen_; }
  std::int64_t last_seen() const { return last_seen_; }
  const ProfileConfig& config() const { return config_; }
  std::uint64_t event_count() const { return event_count_; }
  bool empty() const { return event_count_ == 0; }
  double decay(const Signal& s, std::int64_t now) const;

  json to_json() const;
  // error_code: what a malformed document is called (TAMPERED for storage, BAD_BACKUP).
  static Profile from_json(const json& doc, ProfileConfig config = {}, const char* error_code = "TAMPERED");

 private:
  // Folds the basket whose lines start at purchases_[from] into folded_baskets_; returns where
  // the next basket starts. The caller erases the folded lines, all at once.
  std::size_t fold_basket(std::size_t from);
  void add(std::unordered_map<std::string, Signal>& map, const std::string& key, double delta,
           std::int64_t at, std::size_t cap);

  ProfileConfig config_;
  std::unordered_map<std::string, Signal> items_;
  std::unordered_map<std::string, Signal> categories_;
  // Vectors, not deques: at most a few thousand entries, and the three deques cost every shop
  // page 2.1 KB brotli of engine code (docs/benchmarks.md "Sizes").
  std::vector<std::pair<std::string, std::int64_t>> recent_;  // newest first: item, time
  std::vector<Purchase> purchases_;                            // oldest first
  std::vector<std::pair<std::string, std::int64_t>> searches_; // newest first: query, time
  std::vector<std::string> cart_;
  std::unordered_map<std::string, double> folded_baskets_;  // baskets per item, past the raw window
  // The basket folded last (its time and items; in memory only, as folding drops dates): a line
  // of it tracked after the basket was folded (old history tracked line by line) counts its
  // item once per basket, as when the basket is folded whole.
  std::int64_t folded_at_ = -1;
  std::vector<std::string> folded_items_;
  std::uint64_t event_count_ = 0;
  std::int64_t first_seen_ = 0, last_seen_ = 0;
};

}  // namespace emma
