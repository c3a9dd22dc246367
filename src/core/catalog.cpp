#include "catalog.hpp"

#include "error.hpp"
#include "json_build.hpp"

namespace emma {
namespace {

std::vector<std::string> read_category_path(const Fields& f, const json& item, const CatalogLimits& limits) {
  std::vector<std::string> path;
  const auto it = item.find("category");
  if (it == item.end() || it->is_null()) return path;
  auto push = [&](std::string part) {
    const auto b = part.find_first_not_of(" \t");
    if (b == std::string::npos) return;
    part = part.substr(b, part.find_last_not_of(" \t") - b + 1);
    if (part.size() > limits.max_title) f.fail("category", "a category name is too long");
    path.push_back(std::move(part));
  };
  if (it->is_string()) {
    // "Home > Candles" and "Home/Candles" are both common in shop feeds.
    std::string part;
    for (char ch : it->get_ref<const std::string&>()) {
      if (ch == '>' || ch == '/') {
        push(part);
        part.clear();
      } else {
        part += ch;
      }
    }
    push(part);
  } else if (it->is_array()) {
    for (const auto& p : *it) {
      if (!p.is_string()) f.fail("category", "expected an array of strings");
      if (p.get_ref<const std::string&>().find('/') != std::string::npos) f.fail("category", "a category name must not contain '/'");
      push(p.get<std::string>());
    }
  } else {
    f.fail("category", std::string("expected a string or an array of strings, got ") + json_type_name(*it));
  }
  if (path.size() > limits.max_category_depth) {
    f.fail("category", "is nested deeper than " + std::to_string(limits.max_category_depth));
  }
  return path;
}

}  // namespace

std::string normalize_category_path(const std::string& raw) {
  std::string out, part;
  auto flush = [&] {
    const auto b = part.find_first_not_of(' ');
    if (b != std::string::npos) {
      if (!out.empty()) out += '/';
      out += part.substr(b, part.find_last_not_of(' ') - b + 1);
    }
    part.clear();
  };
  for (char ch : raw) {
    if (ch == '>' || ch == '/') flush();
    else part += ch;
  }
  flush();
  return out;
}

ItemInput parse_item(const json& raw, const std::string& path, const CatalogLimits& limits) {
  Fields f(raw, path, code::bad_bundle);
  ItemInput item;
  item.id = f.id("id", limits.max_id);
  item.title = f.opt_str("title", limits.max_title).value_or(item.id);
  item.url = f.opt_str("url", limits.max_url).value_or("");
  item.image = f.opt_str("image", limits.max_url).value_or("");
  item.brand = f.opt_str("brand", limits.max_title).value_or("");
  item.currency = f.opt_str("currency", 8).value_or("");
  item.category_path = read_category_path(f, raw, limits);
  if (const json* tags = f.opt_array("tags")) {
    if (tags->size() > limits.max_tags) f.fail("tags", "has more than " + std::to_string(limits.max_tags) + " tags");
    for (const auto& t : *tags) {
      if (!t.is_string() || t.get_ref<const std::string&>().size() > limits.max_tag) f.fail("tags", "expected short strings");
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
  if (const json* attrs = f.opt_object("attributes")) item.attributes_json = attrs->dump();
  return item;
}

std::vector<ItemInput> parse_catalog_items(const json& doc, const CatalogLimits& limits) {
  Fields top(doc, "catalog", code::bad_bundle);
  const json* items = top.opt_array("items");
  if (!items) top.fail("items", "is required (an array of items)");
  if (items->size() > limits.max_items) {
    top.fail("items", "holds " + std::to_string(items->size()) + " items; at most " + std::to_string(limits.max_items) + " are accepted");
  }
  std::vector<ItemInput> out;
  out.reserve(items->size());
  std::unordered_map<std::string, std::size_t> seen;
  for (std::size_t i = 0; i < items->size(); ++i) {
    const std::string path = "catalog.items[" + std::to_string(i) + "]";
    out.push_back(parse_item((*items)[i], path, limits));
    if (!seen.emplace(out.back().id, i).second) {
      throw Error(code::bad_bundle, path + ".id: \"" + out.back().id + "\" appears more than once (first at items[" +
                                        std::to_string(seen[out.back().id]) + "])");
    }
  }
  return out;
}

const Item* Catalog::find(std::string_view id) const {
  const auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : &items_[it->second];
}

std::uint32_t Catalog::index_of(std::string_view id) const {
  const auto it = by_id_.find(id);
  return it == by_id_.end() ? kNone : it->second;
}

std::string product_id(const Catalog* catalog, const std::string& id) {
  const Item* it = catalog ? catalog->find(id) : nullptr;
  return it ? std::string(it->id) : id;
}

std::vector<std::pair<std::string_view, std::uint32_t>> Catalog::variants() const {
  std::vector<std::pair<std::string_view, std::uint32_t>> out;
  for (const auto& [id, i] : by_id_) {
    if (items_[i].id != id) out.emplace_back(id, i);
  }
  return out;
}

std::uint32_t Catalog::category_id(std::string_view path) const {
  const auto it = by_path_.find(path);
  return it == by_path_.end() ? kNone : it->second;
}

std::vector<std::uint32_t> Catalog::ancestors(const Item& item) const {
  std::vector<std::uint32_t> chain;
  for (std::uint32_t c = item.category; c != kNone; c = categories_[c].parent) chain.push_back(c);
  return {chain.rbegin(), chain.rend()};
}

bool Catalog::in_category(const Item& item, std::uint32_t category) const {
  for (std::uint32_t c = item.category; c != kNone; c = categories_[c].parent) {
    if (c == category) return true;
  }
  return false;
}

json Catalog::item_json(const Item& item) const {
  json j = Obj()("id", item.id)("title", item.title)("in_stock", item.in_stock);
  if (!item.url.empty()) j["url"] = item.url;
  if (!item.image.empty()) j["image"] = item.image;
  if (!item.brand.empty()) j["brand"] = item.brand;
  if (item.category != kNone) {
    json path = json::array();
    for (auto c : ancestors(item)) path.push_back(categories_[c].name);
    j["category"] = std::move(path);
  }
  if (item.tag_count) {
    json tags = json::array();
    for (std::uint16_t k = 0; k < item.tag_count; ++k) tags.push_back(tag(item, k));
    j["tags"] = std::move(tags);
  }
  if (item.price >= 0) j["price"] = item.price;
  if (!item.currency.empty()) j["currency"] = item.currency;
  // Validated as a JSON object when the bundle was read.
  if (!item.attributes.empty()) j["attributes"] = parse_known(item.attributes, false);
  return j;
}

}  // namespace emma
