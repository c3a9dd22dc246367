// The shop's catalog as the engine sees it: items with their category path, brand, tags,
// price and stock, indexed by id and by category.
#pragma once
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "json_input.hpp"

namespace emma {

struct Item {
  std::string id;
  std::string title;
  std::string url;
  std::string image;
  std::string brand;
  std::string currency;
  std::vector<std::string> category_path;  // e.g. {"Home", "Candles"}
  std::vector<std::uint32_t> categories;   // ids of every prefix of category_path, shallow first
  std::vector<std::string> tags;
  double price = -1;  // negative: unknown
  bool in_stock = true;
  double popularity = 0;  // the shop's anonymous demand signal, from the bundle
  json attributes;        // free shop attributes, passed through to the page
};

struct CatalogLimits {
  std::size_t max_items = 1'000'000;
  std::size_t max_id = 256;
  std::size_t max_title = 1024;
  std::size_t max_url = 4096;
  std::size_t max_category_depth = 8;
  std::size_t max_tags = 64;
  std::size_t max_tag = 128;
};

class Catalog {
 public:
  // Parses {"items":[{...}]}; every problem is a BAD_BUNDLE error naming the item index and field.
  static Catalog from_json(const json& doc, const CatalogLimits& limits = {});

  const std::vector<Item>& items() const { return items_; }
  std::size_t size() const { return items_.size(); }
  const Item* find(const std::string& id) const;
  std::int64_t index_of(const std::string& id) const;  // -1 when absent
  const std::string& category_name(std::uint32_t id) const { return category_names_[id]; }
  std::int64_t category_id(const std::string& name) const;  // -1 when absent
  std::size_t category_count() const { return category_names_.size(); }
  double max_popularity() const { return max_popularity_; }

  // What a page gets for one item: its catalog fields.
  json item_json(const Item& item) const;

 private:
  std::vector<Item> items_;
  std::unordered_map<std::string, std::uint32_t> by_id_;
  std::vector<std::string> category_names_;  // "Home/Candles" style full paths
  std::unordered_map<std::string, std::uint32_t> by_category_;
  double max_popularity_ = 0;
};

}  // namespace emma
