// Content neighbours: for every item, the items most alike by the catalog's own content
// (title words, category path, brand, tags, attributes, price band), for `similar` to rank
// substitutes rather than complements. Computed offline by emma-model (beside the co-purchase
// model_builder) and shipped in the bundle's SIMS section; the page never computes it.
//
// Weights are TF-IDF (one term per distinct token, weighted by its field and by
// ln(1 + items / items with it)), compared by cosine. Candidates come from an inverted index
// whose posting lists are capped: a token held by more than `posting_cap` items (a big
// category, a price band) only contributes the `posting_cap` items nearest the anchor in
// catalog order, so the cost is O(items x tokens x cap), never items^2.
#pragma once
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "catalog.hpp"
#include "model.hpp"

namespace emma {

struct ContentOptions {
  std::size_t per_item = 8;       // neighbours kept per item
  std::size_t posting_cap = 256;  // items a token contributes as candidates at most
  double min_score = 0.2;         // cosine below this is "not alike"
  std::function<void(std::size_t done, std::size_t total)> progress;
};

// Lowercased, umlauts folded (ä -> ae, ß -> ss), split on everything but letters and digits,
// stop words dropped, plural and German -e/-en endings stemmed: "Teelichter", "TEELICHT"
// and "teelicht" meet. German compounds are split later against the catalog's own vocabulary.
std::vector<std::string> content_words(std::string_view text);

// Per item, best first; never the item itself nor another variant of its product (items
// whose attributes share one "item_group_id": Emma's own catalog formats may list variants
// as items; the feed importers fold them into one item already).
std::vector<std::vector<Neighbour>> content_neighbours(const std::vector<ItemInput>& items, const ContentOptions& options = {});

}  // namespace emma
