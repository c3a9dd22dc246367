#include "bundle_diff.hpp"

#include <algorithm>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>

namespace emma_tools {
namespace {

using emma::json;

std::string category_of(const emma::Catalog& c, const emma::Item& it) {
  return it.category == emma::kNone ? "" : std::string(c.category(it.category).path);
}

// Unordered pairs of item ids that are neighbours (either direction).
std::set<std::pair<std::string, std::string>> pairs_of(const emma::Bundle& b) {
  std::set<std::pair<std::string, std::string>> out;
  for (std::uint32_t i = 0; i < b.catalog.size(); ++i) {
    auto [nb, ne] = b.model.neighbours_of(i);
    for (auto x = nb; x != ne; ++x) {
      std::string a(b.catalog.item(i).id), c(b.catalog.item(x->item).id);
      if (c < a) std::swap(a, c);
      out.emplace(std::move(a), std::move(c));
    }
  }
  return out;
}

// Item ids by popularity in window `w`, best first (ties by id, so the diff is stable).
std::vector<std::string> ranking(const emma::Bundle& b, std::size_t w) {
  std::vector<std::uint32_t> idx(b.catalog.size());
  for (std::uint32_t i = 0; i < idx.size(); ++i) idx[i] = i;
  const auto& pop = b.model.popularity[w];
  std::sort(idx.begin(), idx.end(), [&](std::uint32_t x, std::uint32_t y) {
    return pop[x] != pop[y] ? pop[x] > pop[y] : b.catalog.item(x).id < b.catalog.item(y).id;
  });
  std::vector<std::string> out;
  for (auto i : idx) {
    if (pop[i] <= 0) break;
    out.emplace_back(b.catalog.item(i).id);
  }
  return out;
}

}  // namespace

json diff_bundles(const emma::Bundle& a, const emma::Bundle& b, std::size_t top) {
  auto capped = [&](json& list, const std::string& v) {
    if (list.size() < top) list.push_back(v);
  };
  json added = json::array(), removed = json::array();
  std::size_t n_added = 0, n_removed = 0, price = 0, stock = 0, title = 0, category = 0;
  for (const auto& it : b.catalog.items()) {
    const emma::Item* old = a.catalog.find(it.id);
    if (!old) {
      ++n_added;
      capped(added, std::string(it.id));
      continue;
    }
    price += old->price != it.price;
    stock += old->in_stock != it.in_stock;
    title += old->title != it.title;
    category += category_of(a.catalog, *old) != category_of(b.catalog, it);
  }
  for (const auto& it : a.catalog.items()) {
    if (!b.catalog.find(it.id)) {
      ++n_removed;
      capped(removed, std::string(it.id));
    }
  }
  const auto pa = pairs_of(a), pb = pairs_of(b);
  std::size_t pairs_added = 0, pairs_removed = 0;
  for (const auto& p : pb) pairs_added += !pa.count(p);
  for (const auto& p : pa) pairs_removed += !pb.count(p);

  json popularity = json::object();
  // The trending window (30d), which moves most from night to night, when both have it.
  const std::size_t wa = a.model.default_window();
  const std::size_t wb = wa < a.model.windows.size() ? b.model.window(a.model.windows[wa].name) : b.model.windows.size();
  if (wa < a.model.windows.size() && wb < b.model.windows.size()) {
    const auto ra = ranking(a, wa), rb = ranking(b, wb);
    std::unordered_map<std::string, std::size_t> rank_a;
    for (std::size_t r = 0; r < ra.size(); ++r) rank_a.emplace(ra[r], r + 1);
    const std::unordered_set<std::string> top_a(ra.begin(), ra.begin() + static_cast<std::ptrdiff_t>(std::min(top, ra.size())));
    const std::unordered_set<std::string> top_b(rb.begin(), rb.begin() + static_cast<std::ptrdiff_t>(std::min(top, rb.size())));
    json entered = json::array(), left = json::array(), moves = json::array();
    for (std::size_t r = 0; r < std::min(top, rb.size()); ++r) {
      if (!top_a.count(rb[r])) entered.push_back(rb[r]);
      const auto was = rank_a.find(rb[r]);
      moves.push_back({{"id", rb[r]}, {"rank", r + 1}, {"was", was == rank_a.end() ? json(nullptr) : json(was->second)}});
    }
    for (std::size_t r = 0; r < std::min(top, ra.size()); ++r) {
      if (!top_b.count(ra[r])) left.push_back(ra[r]);
    }
    popularity = {{"window", a.model.windows[wa].name}, {"top", top}, {"entered_top", entered}, {"left_top", left},
                  {"new_top", moves}};
  }
  return {{"items", {{"old", a.catalog.size()}, {"new", b.catalog.size()}, {"added", n_added}, {"removed", n_removed},
                     {"added_ids", added}, {"removed_ids", removed},
                     {"changed", {{"price", price}, {"in_stock", stock}, {"title", title}, {"category", category}}}}},
          {"pairs", {{"old", pa.size()}, {"new", pb.size()}, {"added", pairs_added}, {"removed", pairs_removed}}},
          {"popularity", popularity}};
}

}  // namespace emma_tools
