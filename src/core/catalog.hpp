// The shop's catalog as the engine sees it: items with their category path, brand, tags,
// price and stock. Items are views into the loaded bundle's bytes (no copy per string), so a
// 100k-item catalog loads in one pass.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "json_input.hpp"

namespace emma {

inline constexpr std::uint32_t kNone = 0xFFFFFFFFu;

// One item as a shop's feed describes it (input to the bundle writer).
struct ItemInput {
  std::string id, title, url, image, brand, currency;
  std::vector<std::string> category_path;  // e.g. {"Home", "Candles"}
  std::vector<std::string> tags;
  double price = -1;  // negative: unknown
  bool in_stock = true;
  double popularity = 0;        // a feed's own demand signal, when it has one
  std::string attributes_json;  // free shop attributes (a JSON object), passed to the page
};

struct CatalogLimits {
  std::size_t max_items = 2'000'000;
  std::size_t max_id = 256;
  std::size_t max_title = 1024;
  std::size_t max_url = 4096;
  std::size_t max_category_depth = 8;
  std::size_t max_tags = 64;
  std::size_t max_tag = 128;
};

// "Home > Candles", "Home/Candles", " Home / Candles " -> "Home/Candles": the one spelling of a
// category path that requests, rules and the profile use.
std::string normalize_category_path(const std::string& raw);

// Validates one item object; errors are BAD_BUNDLE naming `path` and the field.
ItemInput parse_item(const json& raw, const std::string& path, const CatalogLimits& limits = {});
// {"items":[...]}: every problem names the item index and field.
std::vector<ItemInput> parse_catalog_items(const json& doc, const CatalogLimits& limits = {});

struct Item {
  std::string_view id, title, url, image, brand, currency, attributes;
  std::uint32_t category = kNone;  // leaf category
  std::uint32_t tag_begin = 0;
  std::uint16_t tag_count = 0;
  bool in_stock = true;
  double price = -1;
};

struct Category {
  std::string_view path;  // "Home/Candles"
  std::string_view name;  // "Candles"
  std::uint32_t parent = kNone;
  std::uint16_t depth = 0;  // 0 for a top-level category
};

class Catalog {
 public:
  Catalog() = default;
  Catalog(Catalog&&) = default;
  Catalog& operator=(Catalog&&) = default;
  Catalog(const Catalog&) = delete;
  Catalog& operator=(const Catalog&) = delete;

  const std::vector<Item>& items() const { return items_; }
  std::size_t size() const { return items_.size(); }
  const Item& item(std::uint32_t i) const { return items_[i]; }
  // The one lookup of an id from a page or a request: an item's own id, else a variant id its
  // product lists in attributes.variants (docs/bundle-tool.md, "Variants"), resolved to that
  // product. An item's own id wins over another item's variant of the same id.
  const Item* find(std::string_view id) const;
  std::uint32_t index_of(std::string_view id) const;  // kNone when absent
  // Variant id -> its product's index: the ids find() resolves that are no item's own.
  std::vector<std::pair<std::string_view, std::uint32_t>> variants() const;

  std::size_t category_count() const { return categories_.size(); }
  const Category& category(std::uint32_t c) const { return categories_[c]; }
  std::uint32_t category_id(std::string_view path) const;  // kNone when absent
  // The item's categories from the top level down to its leaf.
  std::vector<std::uint32_t> ancestors(const Item& item) const;
  bool in_category(const Item& item, std::uint32_t category) const;
  std::string_view tag(const Item& item, std::uint16_t k) const { return tags_[item.tag_begin + k]; }

  // What a page gets for one item: its catalog fields.
  json item_json(const Item& item) const;

 private:
  friend class BundleReader;
  friend class BundleSet;  // merges a head, shards and remembered items (bundle_set.hpp)
  std::vector<Item> items_;
  std::vector<Category> categories_;
  std::vector<std::string_view> tags_;
  // Own ids, then variant ids no item has as its own (added after every own id: own ids win).
  std::unordered_map<std::string_view, std::uint32_t> by_id_;
  std::unordered_map<std::string_view, std::uint32_t> by_path_;
  std::vector<std::string> variant_ids_;  // the variant ids' text (attributes are parsed, not viewed)
};

// What the profile keeps for an item id a page names: its product's id for a variant id
// (Catalog::find), else the id as sent (also when no catalog is loaded).
std::string product_id(const Catalog* catalog, const std::string& id);

}  // namespace emma
