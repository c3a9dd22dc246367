// The shop's anonymous statistics, as shipped in the bundle: popularity over several time
// windows, the item-to-item neighbours (co-purchase), and repurchase cycles per item.
// Nothing here is about any one customer: every number aggregates many (see model_builder).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace emma {

struct PopularityWindow {
  std::string name;   // "7d", "30d", "90d", "all", or "catalog" (a feed's own figure)
  std::uint32_t days; // 0: not a time window
};

// Baskets added to B(i) in a neighbour's score s(i->j) = B(i,j) / (B(i) + shrink): rare
// items' neighbours count less. Scorers multiply it back to get the pair's basket count.
inline constexpr double kNeighbourShrink = 10;

struct Neighbour {
  std::uint32_t item;
  float score;  // similarity in [0, 1]
};

struct Model {
  std::vector<PopularityWindow> windows;
  std::vector<std::vector<float>> popularity;  // [window][item]: distinct baskets (or the feed's figure)
  std::vector<std::uint32_t> neighbour_offsets;  // CSR: item i's neighbours are [off[i], off[i+1])
  std::vector<Neighbour> neighbours;
  // Content neighbours (SIMS, emma-model's content_similarity): the items most alike by the
  // catalog's own content; scores quantised to 1/255. Read as a set (each one's score, not its
  // place): bundle format 2 stores and loads each list in item order. Empty in older bundles.
  std::vector<std::uint32_t> similar_offsets;
  std::vector<Neighbour> similar;
  std::vector<float> rebuy_days;   // median days between a customer's purchases of the item; 0 unknown
  std::vector<float> rebuy_share;  // share of the item's buyers who bought it again

  std::size_t window(const std::string& name) const;  // index, or windows.size() when absent
  std::size_t default_window() const;                  // the trending window (30d, else the first)
  float popularity_of(std::size_t window, std::uint32_t item) const {
    return window < popularity.size() ? popularity[window][item] : 0.f;
  }
  std::pair<const Neighbour*, const Neighbour*> neighbours_of(std::uint32_t item) const {
    if (item + 1 >= neighbour_offsets.size()) return {nullptr, nullptr};
    return {neighbours.data() + neighbour_offsets[item], neighbours.data() + neighbour_offsets[item + 1]};
  }
  std::pair<const Neighbour*, const Neighbour*> similar_of(std::uint32_t item) const {
    if (item + 1 >= similar_offsets.size()) return {nullptr, nullptr};
    return {similar.data() + similar_offsets[item], similar.data() + similar_offsets[item + 1]};
  }
};

}  // namespace emma
