#include "shard_writer.hpp"

#include <algorithm>
#include <numeric>
#include <unordered_map>

#include "bytes.hpp"
#include "error.hpp"
#include "offers.hpp"

#include <sodium.h>
#include "shards.hpp"

namespace emma {
namespace {

ItemInput input_of(const Catalog& c, const Item& it) {
  ItemInput in;
  in.id = it.id;
  in.title = it.title;
  in.url = it.url;
  in.image = it.image;
  in.brand = it.brand;
  in.currency = it.currency;
  in.attributes_json = it.attributes;
  for (auto k : c.ancestors(it)) in.category_path.emplace_back(c.category(k).name);
  for (std::uint16_t t = 0; t < it.tag_count; ++t) in.tags.emplace_back(c.tag(it, t));
  in.price = it.price;
  in.in_stock = it.in_stock;
  return in;
}

}  // namespace

std::vector<std::uint8_t> write_piece(const Bundle& whole, const std::vector<std::uint32_t>& items,
                                      const std::vector<std::uint8_t>& owned, const json& meta,
                                      const std::vector<std::uint32_t>* gidx_of) {
  const auto& c = whole.catalog;
  const auto& m = whole.model;
  std::vector<ItemInput> inputs;
  ModelInput model;
  model.windows = m.windows;
  model.popularity.resize(m.windows.size());
  ByteWriter gidx;
  gidx.u32(static_cast<std::uint32_t>(items.size()));
  const bool any_owned = std::any_of(items.begin(), items.end(), [&](std::uint32_t i) { return owned[i]; });
  for (auto i : items) {
    inputs.push_back(input_of(c, c.item(i)));
    for (std::size_t w = 0; w < m.windows.size(); ++w) model.popularity[w].push_back(m.popularity[w][i]);
    if (!m.rebuy_days.empty()) {
      model.rebuy_days.push_back(m.rebuy_days[i]);
      model.rebuy_share.push_back(m.rebuy_share[i]);
    }
    gidx.u32((gidx_of ? (*gidx_of)[i] : i) << 1 | (owned[i] ? 1u : 0u));
    auto lists = [&](std::pair<const Neighbour*, const Neighbour*> range) {
      std::vector<Neighbour> out;
      if (!owned[i]) return out;
      for (auto it = range.first; it != range.second; ++it) {
        const auto at = std::lower_bound(items.begin(), items.end(), it->item);
        if (at == items.end() || *at != it->item) throw Error(code::internal, "a piece misses a neighbour's record");
        out.push_back({static_cast<std::uint32_t>(at - items.begin()), it->score});
      }
      return out;
    };
    if (any_owned && !m.neighbour_offsets.empty()) model.neighbours.push_back(lists(m.neighbours_of(i)));
    if (any_owned && !m.similar_offsets.empty()) model.similar.push_back(lists(m.similar_of(i)));
  }
  return write_bundle(inputs, model, meta, {{"GIDX", gidx.take()}});
}

ShardedBundle split_bundle(const Bundle& whole, const std::string& stem, const ShardOptions& o) {
  const auto& c = whole.catalog;
  const auto& m = whole.model;
  const auto n = static_cast<std::uint32_t>(c.size());
  if (n == 0) throw Error(code::bad_request, "the bundle has no items to shard");
  // The head: what a slot can show before any page names an item.
  std::vector<std::uint8_t> in_head(n, 0);
  std::vector<std::uint32_t> by(n);
  for (std::size_t w = 0; w < m.windows.size(); ++w) {
    std::iota(by.begin(), by.end(), 0);
    const auto k = std::min<std::size_t>(o.head_items, n);
    std::partial_sort(by.begin(), by.begin() + static_cast<std::ptrdiff_t>(k), by.end(), [&](std::uint32_t a, std::uint32_t b) {
      return m.popularity[w][a] != m.popularity[w][b] ? m.popularity[w][a] > m.popularity[w][b] : a < b;
    });
    for (std::size_t j = 0; j < k; ++j) in_head[by[j]] = 1;
  }
  const std::size_t dw = m.windows.empty() ? 0 : m.default_window();
  std::unordered_map<std::uint32_t, std::vector<std::uint32_t>> per_category;
  for (std::uint32_t i = 0; i < n; ++i) per_category[c.item(i).category].push_back(i);
  for (auto& [cat, list] : per_category) {
    const auto k = std::min<std::size_t>(o.head_per_category, list.size());
    std::partial_sort(list.begin(), list.begin() + static_cast<std::ptrdiff_t>(k), list.end(), [&](std::uint32_t a, std::uint32_t b) {
      const float pa = m.popularity_of(dw, a), pb = m.popularity_of(dw, b);
      return pa != pb ? pa > pb : a < b;
    });
    for (std::size_t j = 0; j < k; ++j) in_head[list[j]] = 1;
  }
  const std::uint32_t count = std::max<std::uint32_t>(1, (n + o.shard_items - 1) / o.shard_items);
  std::vector<std::vector<std::uint32_t>> members(count);
  for (std::uint32_t i = 0; i < n; ++i) members[shard_of(c.item(i).id, count)].push_back(i);
  // A page may name a variant (Catalog::find), whose id hashes elsewhere than its product's:
  // that shard carries the product's record (not owned: no lists), a redirect from which the
  // engine names the product's own shard next (shards.hpp). No head bytes: the head knows no
  // variant ids (docs/catalog-size.md, "Variants").
  std::vector<std::vector<std::uint32_t>> redirects(count);
  for (const auto& [variant, i] : c.variants()) redirects[shard_of(variant, count)].push_back(i);

  // The build: named by the whole bundle's checksum and the split, so a rebuild of the same
  // catalog gives the same file names, and another catalog other names.
  std::string build;
  {
    std::uint8_t h[8];
    const std::string what = std::string(whole.bytes.begin() + 16, whole.bytes.begin() + 32) + std::to_string(count) + "/" +
                             std::to_string(o.head_items) + "/" + std::to_string(o.head_per_category);
    crypto_generichash(h, sizeof h, reinterpret_cast<const unsigned char*>(what.data()), what.size(), nullptr, 0);
    for (auto x : h) (build += "0123456789abcdef"[x >> 4]) += "0123456789abcdef"[x & 15];
  }
  ShardManifest manifest;
  manifest.count = count;
  manifest.build = build;
  manifest.stem = stem;
  ShardedBundle out;
  std::vector<std::uint8_t> owned(n, 0);
  std::vector<std::uint8_t> mark(n, 0);  // reset after each shard (a fresh one each would be n x shards)
  for (std::uint32_t s = 0; s < count; ++s) {
    std::vector<std::uint32_t> items;
    for (auto i : members[s]) {
      owned[i] = 1;
      mark[i] = 1;
      items.push_back(i);
    }
    // The neighbours' records come along, so the shard's lists can be shown (and a shard
    // remembered with a profile still can, under a head that has them no more).
    for (auto i : members[s]) {
      for (auto range : {m.neighbours_of(i), m.similar_of(i)}) {
        for (auto it = range.first; it != range.second; ++it) {
          if (!mark[it->item]) {
            mark[it->item] = 1;
            items.push_back(it->item);
          }
        }
      }
    }
    for (auto i : redirects[s]) {
      if (!mark[i]) {
        mark[i] = 1;
        items.push_back(i);
      }
    }
    json meta = whole.meta;
    meta["shard"] = s;
    meta["build"] = build;
    std::sort(items.begin(), items.end());
    out.shards.emplace_back(shard_file(manifest, s), write_piece(whole, items, owned, meta));
    for (auto i : members[s]) owned[i] = 0;
    for (auto i : items) mark[i] = 0;
  }
  std::vector<std::uint32_t> head;
  for (std::uint32_t i = 0; i < n; ++i) {
    if (in_head[i]) head.push_back(i);
  }
  out.head_items = head.size();
  json meta = whole.meta;
  meta["shards"] = {{"count", count}, {"build", build}, {"stem", stem}, {"items", n}, {"head_items", head.size()}};
  out.head = write_piece(whole, head, owned, meta);
  // The offers stay with the head (the same for every shopper).
  if (!whole.offers.empty()) out.head = with_offers(out.head, whole.offers);
  return out;
}

}  // namespace emma
