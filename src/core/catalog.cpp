#include "catalog.hpp"

#include "error.hpp"

namespace emma {
namespace {

std::vector<std::string> read_category_path(const Fields& f, const json& item,
                                            const CatalogLimits& limits) {
  std::vector<std::string> path;
  const auto it = item.find("category");
  if (it == item.end() || it->is_null()) return path;
  auto push = [&](const std::string& part) {
    if (part.empty()) return;
    if (part.size() > limits.max_title) f.fail("category", "a category name is too long");
    path.push_back(part);
  };
  if (it->is_string()) {
    // "Home > Candles" and "Home/Candles" are both common in shop feeds.
    const std::string& s = it->get_ref<const std::string&>();
    std::string part;
    for (std::size_t i = 0; i < s.size(); ++i) {
      const bool sep = s[i] == '>' || s[i] == '/';
      if (!sep) part += s[i];
      if (sep || i + 1 == s.size()) {
        const auto b = part.find_first_not_of(' ');
        const auto e = part.find_last_not_of(' ');
        push(b == std::string::npos ? std::string() : part.substr(b, e - b + 1));
        part.clear();
      }
    }
  } else if (it->is_array()) {
    for (const auto& p : *it) {
      if (!p.is_string()) f.fail("category", "expected an array of strings");
      push(p.get<std::string>());
    }
  } else {
    f.fail("category", std::string("expected a string or an array of strings, got ") +
                           json_type_name(*it));
  }
  if (path.size() > limits.max_category_depth) {
    f.fail("category", "is nested deeper than " + std::to_string(limits.max_category_depth));
  }
  return path;
}

}  // namespace

Catalog Catalog::from_json(const json& doc, const CatalogLimits& limits) {
  Fields top(doc, "catalog", code::bad_bundle);
  const json* items = top.opt_array("items");
  if (!items) top.fail("items", "is required (an array of items)");
  if (items->size() > limits.max_items) {
    top.fail("items", "holds " + std::to_string(items->size()) + " items; at most " +
                          std::to_string(limits.max_items) + " are accepted");
  }
  Catalog c;
  c.items_.reserve(items->size());
  c.by_id_.reserve(items->size());
  for (std::size_t i = 0; i < items->size(); ++i) {
    const json& raw = (*items)[i];
    Fields f(raw, "catalog.items[" + std::to_string(i) + "]", code::bad_bundle);
    Item item;
    item.id = f.str("id", limits.max_id);
    item.title = f.opt_str("title", limits.max_title).value_or(item.id);
    item.url = f.opt_str("url", limits.max_url).value_or("");
    item.image = f.opt_str("image", limits.max_url).value_or("");
    item.brand = f.opt_str("brand", limits.max_title).value_or("");
    item.currency = f.opt_str("currency", 8).value_or("");
    item.category_path = read_category_path(f, raw, limits);
    if (const json* tags = f.opt_array("tags")) {
      if (tags->size() > limits.max_tags) f.fail("tags", "has too many tags");
      for (const auto& t : *tags) {
        if (!t.is_string() || t.get_ref<const std::string&>().size() > limits.max_tag) {
          f.fail("tags", "expected short strings");
        }
        item.tags.push_back(t.get<std::string>());
      }
    }
    if (auto price = f.opt_num("price")) {
      if (*price < 0) f.fail("price", "must not be negative");
      item.price = *price;
    }
    if (auto avail = f.opt_bool("in_stock")) item.in_stock = *avail;
    if (auto pop = f.opt_num("popularity")) {
      if (*pop < 0) f.fail("popularity", "must not be negative");
      item.popularity = *pop;
    }
    if (const json* attrs = f.opt_object("attributes")) item.attributes = *attrs;

    std::string name;
    for (const auto& part : item.category_path) {
      name += name.empty() ? part : "/" + part;
      auto [pos, added] = c.by_category_.try_emplace(name, c.category_names_.size());
      if (added) c.category_names_.push_back(name);
      item.categories.push_back(pos->second);
    }
    if (!c.by_id_.emplace(item.id, static_cast<std::uint32_t>(c.items_.size())).second) {
      f.fail("id", "\"" + item.id + "\" appears more than once");
    }
    if (item.popularity > c.max_popularity_) c.max_popularity_ = item.popularity;
    c.items_.push_back(std::move(item));
  }
  return c;
}

const Item* Catalog::find(const std::string& id) const {
  const auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : &items_[it->second];
}

std::int64_t Catalog::index_of(const std::string& id) const {
  const auto it = by_id_.find(id);
  return it == by_id_.end() ? -1 : static_cast<std::int64_t>(it->second);
}

std::int64_t Catalog::category_id(const std::string& name) const {
  const auto it = by_category_.find(name);
  return it == by_category_.end() ? -1 : static_cast<std::int64_t>(it->second);
}

json Catalog::item_json(const Item& item) const {
  json j = {{"id", item.id}, {"title", item.title}, {"in_stock", item.in_stock}};
  if (!item.url.empty()) j["url"] = item.url;
  if (!item.image.empty()) j["image"] = item.image;
  if (!item.brand.empty()) j["brand"] = item.brand;
  if (!item.category_path.empty()) j["category"] = item.category_path;
  if (!item.tags.empty()) j["tags"] = item.tags;
  if (item.price >= 0) j["price"] = item.price;
  if (!item.currency.empty()) j["currency"] = item.currency;
  if (!item.attributes.is_null()) j["attributes"] = item.attributes;
  return j;
}

}  // namespace emma
