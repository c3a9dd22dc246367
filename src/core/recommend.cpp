#include "recommend.hpp"

#include <algorithm>
#include <cmath>
#include <unordered_map>
#include <unordered_set>

#include "discover.hpp"
#include "error.hpp"
#include "json_build.hpp"
#include "offers.hpp"
#include "personal.hpp"
#include "segments.hpp"
#include "similar.hpp"
#include "service.hpp"

namespace emma {
namespace {

constexpr std::size_t kMaxLimit = 100;
constexpr std::size_t kMaxList = 1000;  // rerank lists, carts, pins, excludes
constexpr std::size_t kMaxReasons = 3;


// `ids`: the entries are item ids, which must be intact (Fields::check_id).
std::vector<std::string> string_list(const Fields& f, const char* key, std::size_t max_len, bool ids = false) {
  std::vector<std::string> out;
  const json* a = f.opt_array(key);
  if (!a) return out;
  if (a->size() > kMaxList) f.fail(key, "has more than " + std::to_string(kMaxList) + " entries");
  for (const auto& v : *a) {
    if (!v.is_string() || v.get_ref<const std::string&>().size() > max_len) f.fail(key, "expected an array of short strings");
    out.push_back(v.get<std::string>());
    if (ids) f.check_id(key, out.back(), out.size() - 1);
  }
  return out;
}

// {"include": [...], "exclude": [...]} or a plain array (= include)
void include_exclude(const Fields& f, const char* key, std::vector<std::string>& inc, std::vector<std::string>& exc,
                     bool is_category) {
  if (!f.has(key)) return;
  if (!f.opt_object_or_array(key)) {
    inc = string_list(f, key, 1024);
  } else {
    Fields sub = f.object(key);
    inc = string_list(sub, "include", 1024);
    exc = string_list(sub, "exclude", 1024);
  }
  if (is_category) {
    for (auto& p : inc) p = normalize_category_path(p);
    for (auto& p : exc) p = normalize_category_path(p);
  }
}

Rules parse_rules(const Fields& f) {
  Rules r;
  r.in_stock_only = f.opt_bool("inStock").value_or(false);
  include_exclude(f, "categories", r.include_categories, r.exclude_categories, true);
  include_exclude(f, "brands", r.include_brands, r.exclude_brands, false);
  include_exclude(f, "tags", r.include_tags, r.exclude_tags, false);
  if (f.has("price")) {
    Fields p = f.object("price");
    r.price_min = p.opt_num("min");
    r.price_max = p.opt_num("max");
    if (r.price_min && r.price_max && *r.price_min > *r.price_max) p.fail("min", "is above price.max");
  }
  if (f.has("excludePurchased")) {
    if (auto b = f.opt_bool("excludePurchased"); b.has_value()) {
      r.exclude_purchased = *b;
    }
  }
  if (auto days = f.opt_num("repurchaseWindowDays")) {
    if (*days < 0) f.fail("repurchaseWindowDays", "must not be negative");
    r.repurchase_window_days = days;
    r.exclude_purchased = true;
  }
  r.exclude_items = string_list(f, "excludeItems", 256, true);
  r.exclude_current = f.opt_bool("excludeCurrent").value_or(true);
  r.exclude_cart = f.opt_bool("excludeCart").value_or(true);
  if (const json* boosts = f.opt_array("boost")) {
    if (boosts->size() > 50) f.fail("boost", "has more than 50 entries");
    for (std::size_t k = 0; k < boosts->size(); ++k) {
      Fields b((*boosts)[k], "request.rules.boost[" + std::to_string(k) + "]", code::bad_request);
      Boost x{b.str("field", 128), b.str("value", 1024), b.num("factor")};
      if (x.field != "brand" && x.field != "tag" && x.field != "category" && x.field.rfind("attribute:", 0) != 0) {
        b.fail("field", "use brand, tag, category or attribute:<name>");
      }
      if (x.factor < 0 || x.factor > 100) b.fail("factor", "must be from 0 to 100 (below 1 buries)");
      if (x.field == "category") x.value = normalize_category_path(x.value);
      r.boosts.push_back(std::move(x));
    }
  }
  if (const json* pins = f.opt_array("pin")) {
    if (pins->size() > kMaxLimit) f.fail("pin", "has more entries than a page can show");
    for (std::size_t k = 0; k < pins->size(); ++k) {
      Fields p((*pins)[k], "request.rules.pin[" + std::to_string(k) + "]", code::bad_request);
      r.pins.push_back({p.id("item", 256), static_cast<std::size_t>(p.opt_int("position", 0, kMaxLimit - 1).value_or(0))});
    }
  }
  if (f.has("diversity")) {
    Fields d = f.object("diversity");
    r.max_per_category = static_cast<std::size_t>(d.opt_int("maxPerCategory", 1, kMaxLimit).value_or(0));
    r.diversity = d.opt_num("lambda").value_or(0);
    if (r.diversity < 0 || r.diversity > 1) d.fail("lambda", "must be from 0 (relevance only) to 1");
  }
  return r;
}

// Everything a scenario needs, computed once per request.
struct Context {
  const Catalog& c;
  const Model& m;
  const Profile* profile;  // null: not personalized
  PersonalSignals personal;
  std::vector<float> pop;      // popularity in the request's window, in [0, 1]
  std::vector<float> pop_raw;  // the same, as the window's counts
  std::size_t window;
  std::int64_t now;
  std::uint32_t anchor = kNone;
  std::unordered_set<std::uint32_t> cart;
  Taste taste;  // similar's lean, with a profile
};

struct Candidate {
  std::uint32_t item;
  double score;
  std::uint32_t source = kNone;  // the item behind a "similar"/"bought with" score
  bool pinned = false;
  bool promoted = false;
};

double category_affinity(const Context& ctx, const Item& item, std::uint32_t* which = nullptr) {
  double best = 0;
  for (std::uint32_t c = item.category, depth = 0; c != kNone; c = ctx.c.category(c).parent, ++depth) {
    const double w = (depth == 0 ? 1.0 : 0.5) * ctx.personal.category[c];
    if (w > best) {
      best = w;
      if (which) *which = c;
    }
  }
  return best;
}

bool has_tag(const Catalog& c, const Item& item, const std::string& t) {
  for (std::uint16_t k = 0; k < item.tag_count; ++k) {
    if (c.tag(item, k) == t) return true;
  }
  return false;
}

bool matches(const Catalog& c, const Item& item, const std::string& field, const std::string& value) {
  if (field == "brand") return item.brand == value;
  if (field == "tag") return has_tag(c, item, value);
  if (field == "category") {
    const std::uint32_t cat = c.category_id(value);
    return cat != kNone && c.in_category(item, cat);
  }
  if (item.attributes.empty()) return false;  // attribute:<name>
  const json attrs = parse_known(item.attributes, false);
  const auto it = attrs.find(field.substr(10));
  if (it == attrs.end()) return false;
  return it->is_string() ? it->get<std::string>() == value : it->dump() == value;
}

class Eligibility {
 public:
  Eligibility(const Context& ctx, const RecommendRequest& req) : ctx_(ctx), r_(req.rules), excluded_(ctx.c.size(), 0) {
    auto ids = [&](const std::vector<std::string>& paths) {
      std::vector<std::uint32_t> out;
      for (const auto& p : paths) out.push_back(ctx.c.category_id(p));  // kNone never matches
      return out;
    };
    inc_cat_ = ids(r_.include_categories);
    exc_cat_ = ids(r_.exclude_categories);
    auto exclude = [&](std::uint32_t i) {
      if (i != kNone) excluded_[i] = 1;
    };
    for (const auto& id : r_.exclude_items) exclude(ctx.c.index_of(id));
    if (r_.exclude_current) exclude(ctx.anchor);
    if (r_.exclude_cart) {
      for (auto i : ctx.cart) exclude(i);
    }
    if (r_.exclude_purchased && ctx.profile) {
      const Profile& p = *ctx.profile;
      auto within = [&](std::int64_t at) {
        return !r_.repurchase_window_days || static_cast<double>(ctx.now - at) / 86'400'000.0 <= *r_.repurchase_window_days;
      };
      for (const auto& line : p.purchases()) {
        if (within(line.at)) exclude(ctx.c.index_of(line.item));
      }
      // Purchases folded into counts (past retention or the line cap) are known but undated:
      // none is newer than the oldest dated line, or, with none left, than the retention
      // limit. They count as bought at that latest possible time, so no item is shown as
      // "not bought lately" that might have been.
      const std::int64_t latest = p.purchases().empty()
          ? ctx.now - static_cast<std::int64_t>(p.config().raw_event_days * 86'400'000.0) : p.purchases().front().at;
      if (within(latest)) {
        for (const auto& kv : p.folded_baskets()) exclude(ctx.c.index_of(kv.first));
      }
    }
    // Most requests filter on nothing but stock and exclusions: keep that path short.
    filters_ = r_.price_min || r_.price_max || !inc_cat_.empty() || !exc_cat_.empty() || !r_.include_brands.empty() ||
               !r_.exclude_brands.empty() || !r_.include_tags.empty() || !r_.exclude_tags.empty();
  }

  bool operator()(std::uint32_t i) const {
    if (excluded_[i]) return false;
    const Item& it = ctx_.c.item(i);
    if (r_.in_stock_only && !it.in_stock) return false;
    return !filters_ || passes_filters(it);
  }

 private:
  bool passes_filters(const Item& it) const {
    if (r_.price_min && (it.price < 0 || it.price < *r_.price_min)) return false;
    if (r_.price_max && (it.price < 0 || it.price > *r_.price_max)) return false;
    if (!inc_cat_.empty() && std::none_of(inc_cat_.begin(), inc_cat_.end(), [&](auto c) { return c != kNone && ctx_.c.in_category(it, c); })) return false;
    if (std::any_of(exc_cat_.begin(), exc_cat_.end(), [&](auto c) { return c != kNone && ctx_.c.in_category(it, c); })) return false;
    if (!r_.include_brands.empty() && std::find(r_.include_brands.begin(), r_.include_brands.end(), it.brand) == r_.include_brands.end()) return false;
    if (std::find(r_.exclude_brands.begin(), r_.exclude_brands.end(), it.brand) != r_.exclude_brands.end()) return false;
    if (!r_.include_tags.empty() && std::none_of(r_.include_tags.begin(), r_.include_tags.end(), [&](auto& t) { return has_tag(ctx_.c, it, t); })) return false;
    if (std::any_of(r_.exclude_tags.begin(), r_.exclude_tags.end(), [&](auto& t) { return has_tag(ctx_.c, it, t); })) return false;
    return true;
  }

  const Context& ctx_;
  const Rules& r_;
  std::vector<std::uint32_t> inc_cat_, exc_cat_;
  std::vector<char> excluded_;
  bool filters_ = false;
};

json reasons_for(const Context& ctx, const RecommendRequest& req, const Candidate& cand) {
  const Item& item = ctx.c.item(cand.item);
  json reasons = json::array();
  auto add = [&](json r) {
    if (reasons.size() < kMaxReasons) reasons.push_back(std::move(r));
  };
  if (cand.pinned) add(Obj()("kind", "pinned")("text", "Featured by the shop"));
  if (cand.promoted) add(Obj()("kind", "promoted")("text", "Promoted by the shop"));
  const bool sourced = req.scenario == "similar" || req.scenario == "bought_together" || req.scenario == "discover";
  if (cand.source != kNone && req.scenario == "similar") {
    similar_reasons(ctx.c, cand.source, cand.item, reasons, kMaxReasons, ctx.profile ? &ctx.taste : nullptr);
  } else if (cand.source != kNone && sourced) {
    const Item& src = ctx.c.item(cand.source);
    auto [b, e] = ctx.m.neighbours_of(cand.source);
    const bool bought = std::any_of(b, e, [&](const Neighbour& x) { return x.item == cand.item; });
    add(Obj()("kind", bought ? "bought_with" : "similar")
            ("text", (bought ? "Often bought with " : "Similar to ") + std::string(src.title))
            ("item", src.id));
  }
  if (ctx.profile) {
    const auto& p = ctx.personal;
    if (p.own_of(cand.item) > 0) {
      const bool bought = p.bought.count(cand.item) > 0;
      add(Obj()("kind", bought ? "bought_before" : "viewed")("text", bought ? "You bought this before" : "You looked at this before"));
    }
    const AssocSignal assoc = p.assoc_of(cand.item);
    if (assoc.value > 0.05 && assoc.source != kNone && !sourced) {
      const Item& src = ctx.c.item(assoc.source);
      add(Obj()("kind", "bought_with")("text", "Often bought with " + std::string(src.title))("item", src.id));
    }
    std::uint32_t cat = kNone;
    if (category_affinity(ctx, item, &cat) > 0.2 && cat != kNone) {
      add(Obj()("kind", "category")("text", "You like " + std::string(ctx.c.category(cat).name))("category", ctx.c.category(cat).path));
    }
  }
  if (ctx.pop[cand.item] >= 0.5) {
    add(Obj()("kind", "trending")("text", ctx.m.windows.empty() || ctx.m.windows[ctx.window].days == 0 ? "Popular in this shop" : "Trending now")
            ("window", ctx.m.windows.empty() ? std::string() : ctx.m.windows[ctx.window].name));
  }
  if (reasons.empty()) add(Obj()("kind", "catalog")("text", "From this shop's range"));
  return reasons;
}

std::uint64_t mix(std::uint64_t x) {  // splitmix64: a fixed, portable hash for seeded ties
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// Greedy re-ranking: a cap per leaf category and an MMR trade-off between score and
// sameness with what is already chosen (same leaf: 1, same parent: 0.5).
std::vector<Candidate> diversify(const Context& ctx, const Rules& r, std::vector<Candidate> ranked, std::size_t limit) {
  if (r.max_per_category == 0 && r.diversity <= 0) {
    if (ranked.size() > limit) ranked.resize(limit);
    return ranked;
  }
  const double top = ranked.empty() ? 1 : std::max(ranked.front().score, 1e-12);
  std::vector<Candidate> chosen;
  std::vector<char> used(ranked.size(), 0);  // (not vector<bool>: its code costs the page 1.5 KB)
  std::unordered_map<std::uint32_t, std::size_t> per_cat;
  const std::size_t pool = std::min(ranked.size(), limit * 10 + 50);
  while (chosen.size() < limit) {
    double best = -1e300;
    std::size_t pick = pool;
    for (std::size_t k = 0; k < pool; ++k) {
      if (used[k]) continue;
      const Item& it = ctx.c.item(ranked[k].item);
      if (r.max_per_category && per_cat[it.category] >= r.max_per_category) continue;
      double same = 0;
      for (const auto& ch : chosen) {
        const Item& o = ctx.c.item(ch.item);
        if (o.category == it.category) same = 1;
        else if (it.category != kNone && o.category != kNone && ctx.c.category(o.category).parent == ctx.c.category(it.category).parent) same = std::max(same, 0.5);
      }
      const double v = (1 - r.diversity) * ranked[k].score / top - r.diversity * same;
      if (v > best) {
        best = v;
        pick = k;
      }
    }
    if (pick == pool) break;
    used[pick] = true;
    ++per_cat[ctx.c.item(ranked[pick].item).category];
    chosen.push_back(ranked[pick]);
  }
  return chosen;
}

// Everything per request that scenarios share: the shopper's signals and the popularity
// of the requested window, normalized.
void prepare(Context& ctx, const Bundle& bundle, const Profile* profile, const std::string& window) {
  const std::size_t n = ctx.c.size();
  ctx.personal = profile ? personal_signals(bundle, *profile, ctx.now) : no_personal_signals(ctx.c);
  ctx.window = ctx.m.windows.empty() ? 0 : ctx.m.default_window();
  if (!window.empty()) {
    ctx.window = ctx.m.window(window);
    if (ctx.window >= ctx.m.windows.size()) {
      std::string names;
      for (const auto& w : ctx.m.windows) names += (names.empty() ? "" : ", ") + w.name;
      throw Error(code::bad_request, "request.window: \"" + window + "\" is not in this bundle; it has " + names);
    }
  }
  ctx.pop_raw.assign(n, 0);
  ctx.pop.assign(n, 0);
  float top = 0;
  for (std::uint32_t i = 0; i < n; ++i) {
    ctx.pop_raw[i] = ctx.m.popularity_of(ctx.window, i);
    top = std::max(top, ctx.pop_raw[i]);
  }
  if (top > 0) {
    for (std::uint32_t i = 0; i < n; ++i) ctx.pop[i] = ctx.pop_raw[i] / top;
  }
}

json recently_viewed(const Context& ctx, const RecommendRequest& req, const Eligibility& eligible) {
  json items = json::array();
  if (ctx.profile) {
    for (const auto& [id, at] : ctx.profile->recent()) {
      const std::uint32_t i = ctx.c.index_of(id);
      if (i == kNone || !eligible(i)) continue;
      json j = ctx.c.item_json(ctx.c.item(i));
      j["score"] = 1.0;
      j["viewed_at"] = at;
      j["reasons"] = json::array();
      j["reasons"].push_back(Obj()("kind", "viewed")("text", "You looked at this"));
      items.push_back(std::move(j));
      if (items.size() >= req.limit) break;
    }
  }
  // No history: an empty answer is the truth here, not a gap to fill with popular items.
  return Obj()("scenario", req.scenario)("personalized", ctx.profile != nullptr)("items", std::move(items));
}

}  // namespace

RecommendRequest parse_recommend_request(const json& raw) {
  Fields f(raw, "request", code::bad_request);
  RecommendRequest r;
  if (auto s = f.opt_str("scenario", 32)) r.scenario = *s;
  if (std::none_of(std::begin(kScenarios), std::end(kScenarios), [&](const char* k) { return r.scenario == k; })) {
    f.fail("scenario", "\"" + r.scenario +
                           "\" is not a scenario; use for_you, discover, similar, bought_together, trending, recently_viewed, rerank, "
                           "pick_variant, segments, offers, reorder or continue");
  }
  r.limit = static_cast<std::size_t>(f.opt_int("limit", 1, kMaxLimit).value_or(8));
  r.item = f.opt_id("item", 256);
  r.items = string_list(f, "items", 256, true);
  r.query = f.opt_str("query", 256);
  r.window = f.opt_str("window", 16).value_or("");
  if (auto seed = f.opt_int("seed", 0, (INT64_C(1) << 53))) r.seed = static_cast<std::uint64_t>(*seed);
  if (r.scenario == "similar" && !r.item) f.fail("item", "is required for the similar scenario");
  if (r.scenario == "bought_together" && !r.item && !f.has("items")) {
    // An empty cart is filled from the profile when personalized.
  }
  if (r.scenario == "rerank" && !f.opt_array("items")) f.fail("items", "is required for rerank (the list to reorder)");
  if (r.scenario == "pick_variant") {
    const json* v = f.opt_array("variants");
    if (!v) f.fail("variants", "is required for pick_variant");
    r.variants = *v;
  }
  if (const json* d = f.opt_array("definitions")) r.definitions = *d;
  if (f.has("rules")) r.rules = parse_rules(f.object("rules"));
  if (r.scenario == "discover") {
    // New means never bought, as far as the profile knows: no window lets a purchase back in.
    r.rules.exclude_purchased = true;
    r.rules.repurchase_window_days.reset();
  }
  return r;
}

json recommend(const Bundle& bundle, const Profile* profile, const RecommendRequest& req, std::int64_t now) {
  if (req.scenario == "segments") return compute_segments(bundle, profile, req.definitions, now);
  if (req.scenario == "pick_variant") return pick_variant(bundle, profile, req.variants, req.definitions, now);
  if (req.scenario == "offers") return offers_answer(bundle, profile, req.definitions, req.limit, now);
  if (req.scenario == "reorder") return reorder_answer(bundle, profile, req.limit, now);
  if (req.scenario == "continue") return continue_answer(bundle, profile, req.limit, now);

  Context ctx{bundle.catalog, bundle.model, profile, {}, {}, {}, 0, now, kNone, {}, {}};
  const Catalog& c = ctx.c;
  const std::size_t n = c.size();
  prepare(ctx, bundle, profile, req.window);
  if (req.item) ctx.anchor = c.index_of(*req.item);
  if (req.scenario == "bought_together" && !req.items.empty()) {
    for (const auto& id : req.items) {
      const auto i = c.index_of(id);
      if (i != kNone) ctx.cart.insert(i);
    }
  } else if (profile) {
    for (const auto& id : profile->cart()) {
      const auto i = c.index_of(id);
      if (i != kNone) ctx.cart.insert(i);
    }
  }
  const Eligibility eligible(ctx, req);
  if (req.scenario == "recently_viewed") return recently_viewed(ctx, req, eligible);

  std::vector<double> score(n, 0);
  std::vector<std::uint32_t> source(n, kNone);
  std::vector<std::uint32_t> order;  // rerank keeps the page's list only
  if (req.scenario == "for_you") {
    if (profile) {
      ForYou(ctx.personal, ctx.pop_raw, ctx.pop).fill(c, score);
    } else {
      for (std::uint32_t i = 0; i < n; ++i) score[i] = ctx.pop[i];
    }
  } else if (req.scenario == "discover") {
    discover_scores(bundle, profile, ctx.personal, ctx.pop_raw, ctx.pop, score, source);
  } else if (req.scenario == "trending") {
    for (std::uint32_t i = 0; i < n; ++i) score[i] = ctx.pop[i];
  } else if (req.scenario == "similar") {
    if (ctx.anchor == kNone) throw Error(code::bad_request, "request.item: \"" + *req.item + "\" is not in the catalog");
    if (profile) ctx.taste = taste_of(c, *profile);
    similar_scores(bundle, ctx.anchor, ctx.pop, score, source, profile ? &ctx.taste : nullptr);
  } else if (req.scenario == "bought_together") {
    std::vector<std::uint32_t> anchors;
    if (ctx.anchor != kNone) anchors.push_back(ctx.anchor);
    for (auto i : ctx.cart) anchors.push_back(i);
    for (auto a : anchors) {
      auto [b, e] = ctx.m.neighbours_of(a);
      for (auto it = b; it != e; ++it) {
        if (it->score > 0 && (source[it->item] == kNone || it->score > score[it->item])) source[it->item] = a;
        score[it->item] += it->score;
      }
    }
    for (std::uint32_t i = 0; i < n; ++i) {
      if (score[i] > 0) score[i] += 0.01 * ctx.pop[i];
    }
    // Complements, not another colour of the same thing: near-duplicates of an anchor are out
    // (negative: not even the popularity fill brings them back).
    for (auto a : anchors) {
      auto [b, e] = ctx.m.similar_of(a);
      for (auto it = b; it != e; ++it) {
        if (it->score >= kNearDuplicate) score[it->item] = -1;
      }
    }
  } else if (req.scenario == "rerank") {
    const ForYou for_you(ctx.personal, ctx.pop_raw, ctx.pop);
    std::unordered_set<std::uint32_t> seen;
    for (const auto& id : req.items) {
      const auto i = c.index_of(id);
      if (i == kNone || !seen.insert(i).second) continue;  // a product once (two sizes: the first)
      order.push_back(i);
      const double position_prior = 1.0 / (1.0 + 0.05 * static_cast<double>(order.size()));  // the shop's own order
      // Without a profile the shop's own order stands.
      score[i] = 0.3 * position_prior + (profile ? for_you(c.item(i), i) / 3 : 0);
    }
  }

  // The best `keep` candidates, kept in a heap while scanning (worst on top), so that a
  // 100k-item catalog is never sorted whole.
  auto better = [&](const Candidate& a, const Candidate& b) {
    if (a.score != b.score) return a.score > b.score;
    if (req.seed) return mix(*req.seed ^ a.item) < mix(*req.seed ^ b.item);
    return a.item < b.item;  // deterministic ties: catalog order
  };
  const std::size_t keep = req.scenario == "rerank" ? order.size() : req.limit * 10 + 50;
  std::vector<Candidate> ranked;
  ranked.reserve(std::min(keep, n) + 1);
  std::size_t considered = 0;
  auto consider = [&](std::uint32_t i, bool fallback) {
    if (!eligible(i)) return;
    ++considered;
    double s = score[i];
    bool promoted = false;
    for (const auto& b : req.rules.boosts) {
      if (matches(c, c.item(i), b.field, b.value)) {
        s *= b.factor;
        promoted |= b.factor > 1;
      }
    }
    if (fallback) s = 1e-9 * (1 + ctx.pop[i]);  // below every real score, in popularity order
    Candidate cand{i, s, source[i]};
    cand.promoted = promoted;
    if (ranked.size() < keep) {
      ranked.push_back(cand);
      std::push_heap(ranked.begin(), ranked.end(), better);
    } else if (better(cand, ranked.front())) {
      std::pop_heap(ranked.begin(), ranked.end(), better);
      ranked.back() = cand;
      std::push_heap(ranked.begin(), ranked.end(), better);
    }
  };
  if (req.scenario == "rerank") {
    for (auto i : order) consider(i, false);
  } else {
    for (std::uint32_t i = 0; i < n; ++i) {
      if (score[i] > 0) consider(i, false);
    }
    // Never empty while the catalog has eligible items: fill with the shop's popular items.
    if (considered < req.limit) {
      for (std::uint32_t i = 0; i < n; ++i) {
        if (score[i] == 0) consider(i, true);
      }
    }
  }
  std::sort_heap(ranked.begin(), ranked.end(), better);
  const std::size_t limit = req.scenario == "rerank" ? std::min(ranked.size(), std::max(req.limit, order.size())) : req.limit;
  std::vector<Candidate> out = diversify(ctx, req.rules, std::move(ranked), limit);

  // Pins: the shop's fixed positions, placed last so nothing moves them.
  for (const auto& pin : req.rules.pins) {
    const std::uint32_t i = c.index_of(pin.item);
    if (i == kNone) throw Error(code::bad_request, "request.rules.pin: \"" + pin.item + "\" is not in the catalog");
    out.erase(std::remove_if(out.begin(), out.end(), [&](const Candidate& x) { return x.item == i; }), out.end());
    Candidate cand{i, score[i], source[i]};
    cand.pinned = true;
    out.insert(out.begin() + static_cast<std::ptrdiff_t>(std::min(pin.position, out.size())), cand);
  }
  if (out.size() > limit) out.resize(limit);

  json items = json::array();
  for (const auto& cand : out) {
    json j = c.item_json(c.item(cand.item));
    // rerank answers with the id the page named the item by first (a variant's SKU as itself).
    for (std::size_t k = 0; !order.empty() && k < req.items.size(); ++k) {
      if (c.index_of(req.items[k]) == cand.item) {
        j["id"] = req.items[k];
        break;
      }
    }
    j["score"] = cand.score;
    j["reasons"] = reasons_for(ctx, req, cand);
    items.push_back(std::move(j));
  }
  json answer = Obj()("scenario", req.scenario)("personalized", profile != nullptr && !ctx.personal.empty)("items", std::move(items));
  if (!ctx.m.windows.empty()) answer["window"] = ctx.m.windows[ctx.window].name;
  return answer;
}

json explain(const Bundle& bundle, const Profile* profile, const std::string& id, std::int64_t now) {
  const std::uint32_t i = bundle.catalog.index_of(id);
  if (i == kNone) throw Error(code::bad_request, "explain: \"" + id + "\" is not in the catalog");
  RecommendRequest req;
  req.rules.exclude_current = false;
  req.rules.exclude_cart = false;
  Context ctx{bundle.catalog, bundle.model, profile, {}, {}, {}, 0, now, kNone, {}, {}};
  prepare(ctx, bundle, profile, "");
  const Candidate cand{i, 0};
  const Item& item = bundle.catalog.item(i);
  const double score = profile ? ForYou(ctx.personal, ctx.pop_raw, ctx.pop)(item, i) : ctx.pop[i];
  return Obj()("item", id)("personalized", profile != nullptr)("score", score)("reasons", reasons_for(ctx, req, cand))
      ("signals", Obj()("own", ctx.personal.own_of(i))("bought_with", ctx.personal.assoc_of(i).value)
                       ("category", ctx.personal.affinity_of(item))("popularity", ctx.pop[i]));
}

}  // namespace emma
