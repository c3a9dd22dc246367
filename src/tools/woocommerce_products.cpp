// WooCommerce's product CSV export (Products > Export). Mapping (docs/bundle-tool.md "Shop exports"): SKU
// (else ID) -> id, Name -> title, Categories "A > B, C" -> category A/B (the first one),
// Tags, Images (the first) -> image, Sale price (else Regular price) -> price, Regular price ->
// attributes.list_price, In stock? -> in_stock, Brands -> brand. Variations are folded into
// their variable product (Parent: "id:123" or the parent's SKU). Published other than 1, or
// Visibility in catalog "hidden": left out.
#include <algorithm>
#include <cstdlib>
#include <unordered_map>

#include "catalog_import.hpp"
#include "core/error.hpp"

namespace emma_tools {
namespace {

using emma::json;

bool number(const std::string& text, double& out) {
  const std::string t = trim(text);
  char* end = nullptr;
  out = std::strtod(t.c_str(), &end);
  return !t.empty() && end && *end == '\0' && out >= 0;
}

}  // namespace

void read_woocommerce_products(std::istream& in, const std::string& file, ImportCounts& counts, BadRows& bad,
                               const FeedSink& sink) {
  CsvReader csv(in);
  std::vector<std::string> header, row;
  if (!csv.next(header)) throw emma::Error(emma::code::bad_bundle, file + " is empty");
  for (auto& h : header) h = trim(h);
  auto col = [&](const char* name) -> int {
    const auto it = std::find(header.begin(), header.end(), name);
    return it == header.end() ? -1 : static_cast<int>(it - header.begin());
  };
  if (col("ID") < 0 && col("SKU") < 0) {
    throw emma::Error(emma::code::bad_bundle, file + ": the header has no \"ID\" or \"SKU\" column (WooCommerce's product export)");
  }
  // "id:123" and parent SKUs -> the parent's item id. WooCommerce writes parents first.
  std::unordered_map<std::string, std::string> parents;
  while (csv.next(row)) {
    if (row.size() == 1 && trim(row[0]).empty()) continue;
    const std::uint64_t line = csv.first_line();
    ++counts.rows;
    if (row.size() != header.size()) {
      bad.add(file, line, "row", std::to_string(row.size()) + " fields", "expected " + std::to_string(header.size()) + " (as the header)");
      continue;
    }
    for (auto& f : row) {
      if (to_utf8(f)) ++counts.recoded;
    }
    auto get = [&](const char* name) -> std::string {
      const int c = col(name);
      return c < 0 ? "" : trim(row[static_cast<std::size_t>(c)]);
    };
    const auto types = split_list(lower(get("Type")));
    const std::string type = types.empty() ? "simple" : types[0];
    const std::string wc_id = get("ID"), sku = get("SKU");
    const std::string id = !sku.empty() ? sku : wc_id;
    if (id.empty()) {
      bad.add(file, line, "SKU", "", "is missing, and so is ID");
      continue;
    }
    if (!wc_id.empty()) parents.emplace("id:" + wc_id, id);
    if (!sku.empty()) parents.emplace(sku, id);
    const std::string published = get("Published");
    if ((type != "variation" && published != "1") || (type == "variation" && published == "-1") ||
        lower(get("Visibility in catalog")) == "hidden") {
      ++counts.left_out;
      continue;
    }
    json obj = json::object();
    obj["id"] = id;
    if (!get("Name").empty()) obj["title"] = get("Name");
    const auto categories = split_list(get("Categories"));
    if (!categories.empty()) obj["category"] = categories[0];
    const auto tags = split_list(get("Tags"));
    if (!tags.empty()) obj["tags"] = tags;
    const auto images = split_list(get("Images"));
    if (!images.empty()) obj["image"] = images[0];
    if (!get("Brands").empty()) obj["brand"] = split_list(get("Brands")).at(0);
    json attrs = json::object();
    double regular = -1, sale = -1;
    if (!get("Regular price").empty() && !number(get("Regular price"), regular)) {
      bad.add(file, line, "Regular price", get("Regular price"), "not an amount");
      continue;
    }
    if (!get("Sale price").empty() && !number(get("Sale price"), sale)) {
      bad.add(file, line, "Sale price", get("Sale price"), "not an amount");
      continue;
    }
    if (sale >= 0) {
      obj["price"] = sale;
      if (regular > sale) attrs["list_price"] = regular;
    } else if (regular >= 0) {
      obj["price"] = regular;
    }
    const std::string stock = lower(get("In stock?"));
    if (stock == "1") obj["in_stock"] = true;
    else if (stock == "0") obj["in_stock"] = false;
    else if (stock == "backorder" || stock == "onbackorder") {
      obj["in_stock"] = true;
      attrs["availability"] = "backorder";
    } else if (!stock.empty()) {
      bad.add(file, line, "In stock?", get("In stock?"), "not 1, 0 or backorder");
      continue;
    }
    std::string group;
    bool group_is_id = false;
    if (type == "variable") {
      // The variations decide stock and price; the parent gives the product's face.
      obj["in_stock"] = false;
      obj.erase("price");
      group = id;
      group_is_id = true;
    } else if (type == "variation") {
      const std::string parent = get("Parent");
      const auto it = parents.find(parent);
      if (it == parents.end()) {
        bad.add(file, line, "Parent", parent, "no such product on an earlier row");
        continue;
      }
      group = it->second;
      if (get("Name").empty()) obj.erase("title");
    }
    if (!attrs.empty()) obj["attributes"] = attrs;
    emit_item(obj, group, file, line, bad, [&](FeedItem&& f) {
      f.group_is_id = group_is_id;
      sink(std::move(f));
    });
  }
}

}  // namespace emma_tools
