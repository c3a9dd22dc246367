// Builds the shop's anonymous model from its order log: popularity over time windows,
// co-purchase neighbours and repurchase cycles. Runs offline in emma-model (never in the
// browser). Memory is bounded by the catalog and the pair table's cap, not by the log.
//
// Privacy threshold: a co-purchase pair (i, j) is published only when at least `k`
// DISTINCT customers bought both in one basket. A pair seen for one or two customers would
// let anyone who knows one of those customers' purchases infer another; k >= 5 makes every
// published pair a statement about a group (the same idea as k-anonymity's minimum group).
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "bundle.hpp"

namespace emma {

struct OrderLine {
  std::string_view customer;
  std::string_view basket;  // lines of one basket must arrive together (as in an order log)
  std::string_view item;
  std::int64_t at = 0;      // ms since the epoch
  double quantity = 1;
};

struct BuildOptions {
  std::uint32_t k = 5;                // distinct customers per published pair (1..8)
  std::uint32_t max_neighbours = 30;  // per item
  std::uint32_t max_basket = 100;     // larger baskets (wholesale orders) add no pairs
  std::size_t max_pairs = 4'000'000;  // pair-table cap; past it the rarest pairs are pruned
  std::int64_t until = 0;             // windows end here (ms); lines at or after it are ignored
  std::vector<PopularityWindow> windows = {{"7d", 7}, {"30d", 30}, {"90d", 90}, {"all", 0}};
  std::uint32_t min_rebuy_customers = 5;  // repurchase figures only from this many customers
  std::size_t max_tracked = 2'000'000;     // (customer, item) pairs followed for repurchase cycles
};

struct BuildStats {
  std::uint64_t lines = 0, lines_used = 0, unknown_items = 0, baskets = 0, large_baskets = 0;
  std::uint64_t customers = 0;  // estimated from the sample followed for repurchase cycles
  std::uint32_t customer_sampling = 1;  // one in this many customers followed
  std::uint64_t pairs_seen = 0, pairs_kept = 0, pairs_below_k = 0, pairs_pruned = 0;
  std::uint64_t neighbours = 0;
  json to_json() const;
};

// One co-purchase pair that passed the k threshold: items by catalog index, baskets with both.
struct KeptPair {
  std::uint32_t a, b, baskets;
};

// The neighbour lists from kept pairs and per-item basket counts: directed, shrunk
// s(i->j) = B(i,j) / (B(i) + 10), best first, ties by item index, at most `max_neighbours`.
// Shared by the native counter and by bundles built from SQL aggregates (one definition).
std::vector<std::vector<Neighbour>> rank_neighbours(std::size_t n, const std::vector<KeptPair>& pairs,
                                                    const std::vector<std::uint32_t>& item_baskets,
                                                    std::uint32_t max_neighbours, std::uint64_t& total);

// Repurchase figures as the bundle holds them: the median interval (ms) and rebuy share, kept
// only when at least `min_customers` customers bought the item again.
void repurchase_figures(std::uint32_t buyers, std::uint32_t rebuyers, std::int64_t median_ms, std::uint32_t min_customers,
                        float& days, float& share);

class ModelBuilder {
 public:
  ModelBuilder(const std::vector<ItemInput>& items, BuildOptions options);
  void add(const OrderLine& line);
  // Ends the log; the model covers every item of the catalog.
  ModelInput finish();
  const BuildStats& stats() const { return stats_; }

 private:
  struct PairStat {
    std::uint32_t baskets = 0;
    std::uint8_t customers_seen = 0;  // distinct customers, counted up to k
    std::uint32_t customers[8];
  };
  void flush_basket();
  void prune();
  void thin_sample();

  BuildOptions opt_;
  std::unordered_map<std::string_view, std::uint32_t> item_index_;
  std::size_t n_;
  std::vector<std::vector<float>> window_counts_;
  std::vector<std::uint32_t> item_baskets_;
  std::unordered_map<std::uint64_t, PairStat> pairs_;
  std::uint32_t prune_below_ = 2;
  // Customers are known only by a 64-bit hash: no table of them grows with the log. Two
  // customers whose hashes collide count as one, which can only hold a pair back.
  std::uint64_t basket_customer_hash_ = 0;
  // Repurchase: last purchase per (customer, item) for a uniform sample of customers (hash
  // divisible by the sampling modulus), thinned whenever the table outgrows max_tracked.
  struct LastBought {
    std::int64_t at;
    bool rebought;
  };
  std::unordered_map<std::uint64_t, LastBought> last_bought_;
  std::vector<std::vector<std::int64_t>> intervals_;  // ms, the first kMaxIntervalsPerItem in log order
  std::vector<std::uint32_t> buyers_, rebuyers_;
  std::uint64_t sampling_ = 1;
  std::unordered_set<std::uint32_t> sampled_customers_;  // high 32 bits of the followed customers' hashes
  // The basket being read.
  std::string basket_id_, basket_customer_;
  std::int64_t basket_at_ = 0;
  std::vector<std::uint32_t> basket_items_;
  BuildStats stats_;
};

}  // namespace emma
