#include "profile.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "error.hpp"
#include "json_build.hpp"

namespace emma {
namespace {

struct TypeName {
  EventType type;
  const char* name;
};
constexpr TypeName kTypes[] = {
    {EventType::view, "view"},
    {EventType::click, "click"},
    {EventType::add_to_cart, "add_to_cart"},
    {EventType::remove_from_cart, "remove_from_cart"},
    {EventType::purchase, "purchase"},
    {EventType::search, "search"},
    {EventType::category_view, "category_view"},
    {EventType::dwell, "dwell"},
};

constexpr double kMsPerDay = 86'400'000.0;
// Events far in the future are clock errors; they would dominate every decayed weight.
constexpr std::int64_t kMaxClockSkewMs = 86'400'000;

}  // namespace

const char* event_type_name(EventType type) {
  for (const auto& t : kTypes) {
    if (t.type == type) return t.name;
  }
  return "?";
}

Event parse_event(const json& raw, std::int64_t now_ms) {
  Fields f(raw, "event", code::bad_event);
  const std::string type = f.str("type", 32);
  Event e;
  bool known = false;
  for (const auto& t : kTypes) {
    if (type == t.name) {
      e.type = t.type;
      known = true;
    }
  }
  if (!known) {
    f.fail("type", "\"" + type.substr(0, 40) +
                       "\" is not an event type; use view, click, add_to_cart, "
                       "remove_from_cart, purchase, search, category_view or dwell");
  }
  switch (e.type) {
    case EventType::search:
      e.query = f.str("query", 256);
      break;
    case EventType::category_view:
      e.category = f.str("category", 1024);
      break;
    default:
      e.item = f.id("item", 256);
  }
  if (e.type == EventType::purchase || e.type == EventType::add_to_cart) {
    if (auto q = f.opt_num("quantity")) {
      if (*q <= 0 || *q > 1e6) f.fail("quantity", "must be more than 0 and at most 1000000");
      e.quantity = *q;
    }
  }
  if (e.type == EventType::dwell) {
    const double s = f.num("seconds");
    if (s < 0 || s > 86400) f.fail("seconds", "must be from 0 to 86400");
    e.seconds = s;
  }
  e.at = f.opt_int("at", 0, now_ms + kMaxClockSkewMs).value_or(now_ms);
  return e;
}

double Profile::decay(const Signal& s, std::int64_t now) const {
  const double age_days = std::max<double>(0, static_cast<double>(now - s.at)) / kMsPerDay;
  return s.weight * std::exp2(-age_days / config_.half_life_days);
}

void Profile::add(std::unordered_map<std::string, Signal>& map, const std::string& key,
                  double delta, std::int64_t at, std::size_t cap) {
  auto& s = map[key];
  // Bring the stored weight to the event's time (older events arrive when replaying history).
  if (at >= s.at) {
    s.weight = decay(s, at) + delta;
    s.at = at;
  } else {
    s.weight += delta * std::exp2(-(static_cast<double>(s.at - at) / kMsPerDay) / config_.half_life_days);
  }
  if (s.weight <= 0) map.erase(key);
  if (map.size() > cap) {
    // Bounded size: drop the weakest tenth at once so that trimming stays rare.
    std::vector<std::pair<double, std::string>> all;
    all.reserve(map.size());
    for (const auto& [k, v] : map) all.emplace_back(decay(v, at), k);
    const std::size_t drop = map.size() - cap + cap / 10;
    std::nth_element(all.begin(), all.begin() + drop, all.end());
    for (std::size_t i = 0; i < drop; ++i) map.erase(all[i].second);
  }
}

void Profile::apply(const Event& e, const Catalog* catalog) {
  double w = 0;
  switch (e.type) {
    case EventType::view: w = config_.w_view; break;
    case EventType::click: w = config_.w_click; break;
    case EventType::add_to_cart: w = config_.w_add_to_cart; break;
    case EventType::remove_from_cart: w = config_.w_remove_from_cart; break;
    case EventType::purchase: w = config_.w_purchase * std::log2(1 + e.quantity); break;
    case EventType::category_view: w = config_.w_category_view; break;
    // Repeated purchases keep mattering (retail), but with diminishing returns per line.
    case EventType::dwell: w = config_.w_dwell_per_minute * std::min(e.seconds, 600.0) / 60; break;
    case EventType::search: w = 0; break;  // queries are used by search reranking, not here
  }
  ++event_count_;
  if (first_seen_ == 0 || e.at < first_seen_) first_seen_ = e.at;
  if (e.at > last_seen_) last_seen_ = e.at;
  if (e.type == EventType::search) {
    searches_.emplace(searches_.begin(), e.query, e.at);
    if (searches_.size() > config_.max_searches) searches_.pop_back();
    return;
  }
  if (e.type == EventType::purchase) {
    // Kept in time order; history replayed out of order is inserted where it belongs.
    Purchase p{e.item, e.at, e.quantity};
    auto pos = std::upper_bound(purchases_.begin(), purchases_.end(), e.at,
                                [](std::int64_t at, const Purchase& x) { return at < x.at; });
    purchases_.insert(pos, std::move(p));
    // Past the cap the oldest baskets are folded into counts, never dropped: what was
    // bought stays known (for_you, excludePurchased) however long the history.
    std::size_t cut = 0;
    while (purchases_.size() - cut > config_.max_purchases) cut = fold_basket(cut);
    purchases_.erase(purchases_.begin(), purchases_.begin() + static_cast<std::ptrdiff_t>(cut));
  }
  if (e.type == EventType::add_to_cart) {
    if (std::find(cart_.begin(), cart_.end(), e.item) == cart_.end() && cart_.size() < config_.max_cart) cart_.push_back(e.item);
  } else if (e.type == EventType::remove_from_cart || e.type == EventType::purchase) {
    cart_.erase(std::remove(cart_.begin(), cart_.end(), e.item), cart_.end());
  }
  if (e.type == EventType::category_view) {
    add(categories_, e.category, w, e.at, config_.max_categories);
    return;
  }
  if (e.item.empty() || w == 0) return;
  add(items_, e.item, w, e.at, config_.max_items);
  if (catalog) {
    if (const Item* item = catalog->find(e.item)) {
      // Deeper categories are more specific, so they carry more of the interest.
      const auto chain = catalog->ancestors(*item);
      const std::size_t depth = chain.size();
      for (std::size_t i = 0; i < depth; ++i) {
        const double share = static_cast<double>(i + 1) / static_cast<double>(depth);
        add(categories_, std::string(catalog->category(chain[i]).path), w * share, e.at, config_.max_categories);
      }
    }
  }
  if (e.type == EventType::view || e.type == EventType::click) {
    auto it = std::find_if(recent_.begin(), recent_.end(), [&](const auto& r) { return r.first == e.item; });
    if (it != recent_.end()) recent_.erase(it);
    recent_.emplace(recent_.begin(), e.item, e.at);
    if (recent_.size() > config_.max_recent) recent_.pop_back();
  }
}

std::size_t Profile::forget_item(const std::string& id) {
  std::size_t n = items_.erase(id) + folded_baskets_.erase(id);
  auto drop = [&](auto& seq, auto pred) {
    const auto before = seq.size();
    seq.erase(std::remove_if(seq.begin(), seq.end(), pred), seq.end());
    n += before - seq.size();
  };
  drop(recent_, [&](const auto& r) { return r.first == id; });
  drop(purchases_, [&](const Purchase& p) { return p.item == id; });
  drop(cart_, [&](const std::string& c) { return c == id; });
  folded_items_.erase(std::remove(folded_items_.begin(), folded_items_.end(), id), folded_items_.end());
  return n;
}

std::size_t Profile::forget_category(const std::string& path, const Catalog* catalog) {
  std::size_t n = 0;
  // The category, its subcategories, and what the shopper did with items in them.
  for (auto it = categories_.begin(); it != categories_.end();) {
    const bool inside = it->first == path || it->first.rfind(path + "/", 0) == 0;
    it = inside ? (++n, categories_.erase(it)) : std::next(it);
  }
  if (catalog) {
    const std::uint32_t cat = catalog->category_id(path);
    if (cat != kNone) {
      std::vector<std::string> ids;
      for (const auto& [id, s] : items_) ids.push_back(id);
      for (const auto& p : purchases_) ids.push_back(p.item);
      for (const auto& r : recent_) ids.push_back(r.first);
      for (const auto& [id, v] : folded_baskets_) ids.push_back(id);
      std::sort(ids.begin(), ids.end());
      ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
      for (const auto& id : ids) {
        const Item* item = catalog->find(id);
        if (item && catalog->in_category(*item, cat)) n += forget_item(id);
      }
    }
  }
  return n;
}

std::size_t Profile::forget_search(const std::string& query) {
  const auto before = searches_.size();
  searches_.erase(std::remove_if(searches_.begin(), searches_.end(), [&](const auto& s) { return s.first == query; }), searches_.end());
  return before - searches_.size();
}

// Purchases become per-item basket counts: what the ranking needs, without dates. Lines
// of one basket share a time; an item counts once per basket.
std::size_t Profile::fold_basket(std::size_t from) {
  const std::int64_t at = purchases_[from].at;
  if (at != folded_at_) folded_items_.clear();
  folded_at_ = at;
  for (; from < purchases_.size() && purchases_[from].at == at; ++from) {
    const std::string& item = purchases_[from].item;
    if (std::find(folded_items_.begin(), folded_items_.end(), item) == folded_items_.end()) {
      folded_items_.push_back(item);
      folded_baskets_[item] += 1;
    }
  }
  return from;
}

bool Profile::enforce_retention(std::int64_t now) {
  const auto limit = now - static_cast<std::int64_t>(config_.raw_event_days * kMsPerDay);
  std::size_t cut = 0;
  while (cut < purchases_.size() && purchases_[cut].at < limit) cut = fold_basket(cut);
  purchases_.erase(purchases_.begin(), purchases_.begin() + static_cast<std::ptrdiff_t>(cut));
  bool changed = cut > 0;
  while (!recent_.empty() && recent_.back().second < limit) {
    recent_.pop_back();
    changed = true;
  }
  while (!searches_.empty() && searches_.back().second < limit) {
    searches_.pop_back();
    changed = true;
  }
  return changed;
}

bool Profile::expired(std::int64_t now) const {
  return last_seen_ > 0 && static_cast<double>(now - last_seen_) > config_.inactive_days * kMsPerDay;
}

double Profile::item_weight(const std::string& id, std::int64_t now) const {
  const auto it = items_.find(id);
  return it == items_.end() ? 0 : decay(it->second, now);
}

double Profile::category_weight(const std::string& name, std::int64_t now) const {
  const auto it = categories_.find(name);
  return it == categories_.end() ? 0 : decay(it->second, now);
}

json Profile::to_json() const {
  auto signals = [](const std::unordered_map<std::string, Signal>& map) {
    json out = json::object();
    for (const auto& [k, s] : map) out[k] = Arr()(s.weight)(s.at);
    return out;
  };
  json recent = json::array();
  for (const auto& [id, at] : recent_) recent.push_back(Arr()(id)(at));
  json purchases = json::array();
  for (const auto& p : purchases_) purchases.push_back(Arr()(p.item)(p.at)(p.quantity));
  json searches = json::array();
  for (const auto& [q, at] : searches_) searches.push_back(Arr()(q)(at));
  return Obj()("items", signals(items_))("categories", signals(categories_))("recent", std::move(recent))
      ("folded_baskets", folded_baskets_)
      ("purchases", std::move(purchases))("searches", std::move(searches))("cart", cart_)
      ("event_count", event_count_)("first_seen", first_seen_)("last_seen", last_seen_);
}

Profile Profile::from_json(const json& doc, ProfileConfig config, const char* error_code) {
  Profile p(config);
  Fields f(doc, "profile", error_code);
  auto read = [&](const char* key, std::unordered_map<std::string, Signal>& map) {
    const json* o = f.opt_object(key);
    if (!o) return;
    for (const auto& [k, v] : o->items()) {
      if (!v.is_array() || v.size() != 2 || !v[0].is_number() || !v[1].is_number_integer()) {
        f.fail(key, "holds a malformed signal");
      }
      map[k] = Signal{v[0].get<double>(), v[1].get<std::int64_t>()};
    }
  };
  read("items", p.items_);
  read("categories", p.categories_);
  if (const json* r = f.opt_array("recent")) {
    for (const auto& v : *r) {
      if (!v.is_array() || v.size() != 2 || !v[0].is_string() || !v[1].is_number_integer()) {
        f.fail("recent", "holds a malformed entry");
      }
      p.recent_.emplace_back(v[0].get<std::string>(), v[1].get<std::int64_t>());
    }
  }
  if (const json* r = f.opt_array("purchases")) {
    for (const auto& v : *r) {
      if (!v.is_array() || v.size() != 3 || !v[0].is_string() || !v[1].is_number_integer() || !v[2].is_number()) {
        f.fail("purchases", "holds a malformed entry");
      }
      p.purchases_.push_back({v[0].get<std::string>(), v[1].get<std::int64_t>(), v[2].get<double>()});
    }
  }
  if (const json* r = f.opt_array("searches")) {
    for (const auto& v : *r) {
      if (!v.is_array() || v.size() != 2 || !v[0].is_string() || !v[1].is_number_integer()) f.fail("searches", "holds a malformed entry");
      p.searches_.emplace_back(v[0].get<std::string>(), v[1].get<std::int64_t>());
    }
  }
  if (const json* r = f.opt_array("cart")) {
    for (const auto& v : *r) {
      if (!v.is_string()) f.fail("cart", "holds a malformed entry");
      p.cart_.push_back(v.get<std::string>());
    }
  }
  if (const json* folded = f.opt_object("folded_baskets")) {
    for (const auto& [k, v] : folded->items()) {
      if (!v.is_number() || v.get<double>() < 0) f.fail("folded_baskets", "holds a malformed count");
      p.folded_baskets_[k] = v.get<double>();
    }
  }
  p.event_count_ = static_cast<std::uint64_t>(f.opt_int("event_count", 0, INT64_MAX / 2).value_or(0));
  p.first_seen_ = f.opt_int("first_seen", 0, INT64_MAX / 2).value_or(0);
  p.last_seen_ = f.opt_int("last_seen", 0, INT64_MAX / 2).value_or(0);
  return p;
}

}  // namespace emma
