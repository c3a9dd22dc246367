#include "model_builder.hpp"

#include <algorithm>
#include <cmath>

#include "error.hpp"

namespace emma {
namespace {

constexpr std::int64_t kDayMs = 86'400'000;
constexpr std::size_t kMaxIntervalsPerItem = 256;  // a sample is enough for a median

std::uint64_t fnv1a(std::string_view s) {  // stable across builds and machines
  std::uint64_t h = 1469598103934665603ull;
  for (unsigned char ch : s) {
    h ^= ch;
    h *= 1099511628211ull;
  }
  return h;
}

}  // namespace

std::vector<std::vector<Neighbour>> rank_neighbours(std::size_t n, const std::vector<KeptPair>& pairs,
                                                    const std::vector<std::uint32_t>& item_baskets,
                                                    std::uint32_t max_neighbours, std::uint64_t& total) {
  // Directed, shrunk co-purchase probability s(i->j) = B(i,j) / (B(i) + 10) over baskets,
  // for pairs that pass the k threshold (docs/benchmarks.md: it ranked better than cosine).
  std::vector<std::vector<Neighbour>> nb(n);
  for (const auto& p : pairs) {
    nb[p.a].push_back({p.b, static_cast<float>(p.baskets / (item_baskets[p.a] + kNeighbourShrink))});
    nb[p.b].push_back({p.a, static_cast<float>(p.baskets / (item_baskets[p.b] + kNeighbourShrink))});
  }
  for (auto& list : nb) {
    // Best first; ties by item index so that builds are reproducible.
    std::sort(list.begin(), list.end(), [](const Neighbour& a, const Neighbour& b) {
      return a.score != b.score ? a.score > b.score : a.item < b.item;
    });
    if (list.size() > max_neighbours) list.resize(max_neighbours);
    total += list.size();
  }
  return nb;
}

void repurchase_figures(std::uint32_t buyers, std::uint32_t rebuyers, std::int64_t median_ms, std::uint32_t min_customers,
                        float& days, float& share) {
  days = share = 0;
  if (rebuyers < min_customers) return;  // too few people to say
  days = static_cast<float>(static_cast<double>(median_ms) / kDayMs);
  share = static_cast<float>(rebuyers) / static_cast<float>(std::max<std::uint32_t>(buyers, 1));
}

json BuildStats::to_json() const {
  return {{"lines", lines},           {"lines_used", lines_used}, {"unknown_items", unknown_items},
          {"baskets", baskets},       {"large_baskets", large_baskets}, {"customers", customers},
          {"customer_sampling", customer_sampling},
          {"pairs_seen", pairs_seen}, {"pairs_kept", pairs_kept}, {"pairs_below_k", pairs_below_k},
          {"pairs_pruned", pairs_pruned}, {"neighbours", neighbours}};
}

ModelBuilder::ModelBuilder(const std::vector<ItemInput>& items, BuildOptions options) : opt_(std::move(options)), n_(items.size()) {
  if (opt_.k < 1 || opt_.k > 8) throw Error(code::bad_request, "k must be from 1 to 8");
  item_index_.reserve(n_);
  for (std::size_t i = 0; i < n_; ++i) item_index_.emplace(items[i].id, static_cast<std::uint32_t>(i));
  window_counts_.assign(opt_.windows.size(), std::vector<float>(n_, 0));
  item_baskets_.assign(n_, 0);
  intervals_.assign(n_, {});
  buyers_.assign(n_, 0);
  rebuyers_.assign(n_, 0);
}

void ModelBuilder::add(const OrderLine& line) {
  ++stats_.lines;
  if (opt_.until && line.at >= opt_.until) return;
  if (line.basket != basket_id_ || line.customer != basket_customer_) {
    flush_basket();
    basket_id_ = std::string(line.basket);
    basket_customer_ = std::string(line.customer);
    basket_customer_hash_ = fnv1a(line.customer);
    basket_at_ = line.at;
  }
  const auto it = item_index_.find(line.item);
  if (it == item_index_.end()) {
    ++stats_.unknown_items;
    return;
  }
  ++stats_.lines_used;
  basket_items_.push_back(it->second);
}

void ModelBuilder::flush_basket() {
  if (basket_items_.empty()) return;
  std::sort(basket_items_.begin(), basket_items_.end());
  basket_items_.erase(std::unique(basket_items_.begin(), basket_items_.end()), basket_items_.end());
  ++stats_.baskets;
  const auto customer = static_cast<std::uint32_t>(basket_customer_hash_ >> 32);
  const bool followed = customer % sampling_ == 0;
  if (followed) sampled_customers_.insert(customer);
  for (std::uint32_t i : basket_items_) {
    ++item_baskets_[i];
    for (std::size_t w = 0; w < opt_.windows.size(); ++w) {
      const auto days = opt_.windows[w].days;
      if (days == 0 || basket_at_ >= opt_.until - static_cast<std::int64_t>(days) * kDayMs) window_counts_[w][i] += 1;
    }
    // Repurchase cycles: the interval since this customer last bought the item.
    if (!followed) continue;
    const std::uint64_t key = (basket_customer_hash_ & 0xFFFFFFFF00000000ull) | i;
    auto [last, first_time] = last_bought_.try_emplace(key, LastBought{basket_at_, false});
    if (first_time) {
      ++buyers_[i];
    } else if (basket_at_ > last->second.at) {
      if (intervals_[i].size() < kMaxIntervalsPerItem) {
        intervals_[i].push_back(basket_at_ - last->second.at);
      }
      if (!last->second.rebought) ++rebuyers_[i];
      last->second = {basket_at_, true};
    }
  }
  if (basket_items_.size() > opt_.max_basket) {
    ++stats_.large_baskets;
  } else {
    for (std::size_t a = 0; a < basket_items_.size(); ++a) {
      for (std::size_t b = a + 1; b < basket_items_.size(); ++b) {
        const std::uint64_t key = (static_cast<std::uint64_t>(basket_items_[a]) << 32) | basket_items_[b];
        auto [p, added] = pairs_.try_emplace(key);
        if (added) ++stats_.pairs_seen;
        PairStat& s = p->second;
        ++s.baskets;
        if (s.customers_seen < opt_.k && std::find(s.customers, s.customers + s.customers_seen, customer) == s.customers + s.customers_seen) {
          s.customers[s.customers_seen++] = customer;
        }
      }
    }
    if (pairs_.size() > opt_.max_pairs) prune();
  }
  if (last_bought_.size() > opt_.max_tracked) thin_sample();
  basket_items_.clear();
}

// Halves the followed sample of customers (every second one of those followed is dropped,
// by hash), so that the table stays bounded however long the log is.
void ModelBuilder::thin_sample() {
  while (last_bought_.size() > opt_.max_tracked / 2) {
    sampling_ *= 2;
    for (auto it = sampled_customers_.begin(); it != sampled_customers_.end();) {
      it = *it % sampling_ == 0 ? std::next(it) : sampled_customers_.erase(it);
    }
    for (auto it = last_bought_.begin(); it != last_bought_.end();) {
      it = (it->first >> 32) % sampling_ == 0 ? std::next(it) : last_bought_.erase(it);
    }
  }
}

// Lossy counting: drop the pairs seen in fewer than `prune_below_` baskets, raising the bar
// until the table is back under half its cap. Dropped pairs are reported, never published.
void ModelBuilder::prune() {
  while (pairs_.size() > opt_.max_pairs / 2) {
    for (auto it = pairs_.begin(); it != pairs_.end();) {
      if (it->second.baskets < prune_below_) {
        it = pairs_.erase(it);
        ++stats_.pairs_pruned;
      } else {
        ++it;
      }
    }
    prune_below_ *= 2;
  }
}

ModelInput ModelBuilder::finish() {
  flush_basket();
  stats_.customers = sampled_customers_.size() * sampling_;
  stats_.customer_sampling = static_cast<std::uint32_t>(sampling_);
  ModelInput m;
  m.windows = opt_.windows;
  m.popularity = window_counts_;
  std::vector<KeptPair> kept;
  for (const auto& [key, s] : pairs_) {
    if (s.customers_seen < opt_.k) {
      ++stats_.pairs_below_k;
      continue;
    }
    ++stats_.pairs_kept;
    kept.push_back({static_cast<std::uint32_t>(key >> 32), static_cast<std::uint32_t>(key & 0xFFFFFFFFu), s.baskets});
  }
  auto nb = rank_neighbours(n_, kept, item_baskets_, opt_.max_neighbours, stats_.neighbours);
  m.neighbours = std::move(nb);
  m.rebuy_days.assign(n_, 0);
  m.rebuy_share.assign(n_, 0);
  for (std::size_t i = 0; i < n_; ++i) {
    if (intervals_[i].empty()) continue;
    auto& v = intervals_[i];
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2), v.end());
    repurchase_figures(buyers_[i], rebuyers_[i], v[v.size() / 2], opt_.min_rebuy_customers, m.rebuy_days[i], m.rebuy_share[i]);
  }
  return m;
}

}  // namespace emma
