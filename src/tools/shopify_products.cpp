// Shopify's product CSV export: one product per Handle, its variants on following rows
// (a row of only Handle + Image Src adds an image). Mapping (docs/bundle-tool.md "Shop exports"): Handle ->
// id (variants folded in, their SKUs kept for orders), Title, Vendor -> brand, Type (else
// Product Category) -> category, Tags, the cheapest available Variant Price -> price,
// Variant Compare At Price -> attributes.list_price, inventory -> in_stock, Image Src -> image,
// /products/<handle> -> url. Status other than active, or Published false: left out.
#include <algorithm>
#include <cstdlib>

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

void read_shopify_products(std::istream& in, const std::string& file, ImportCounts& counts, BadRows& bad, const FeedSink& sink) {
  CsvReader csv(in);
  std::vector<std::string> header, row;
  if (!csv.next(header)) throw emma::Error(emma::code::bad_bundle, file + " is empty");
  for (auto& h : header) h = trim(h);
  auto col = [&](const char* name) -> int {
    const auto it = std::find(header.begin(), header.end(), name);
    return it == header.end() ? -1 : static_cast<int>(it - header.begin());
  };
  if (col("Handle") < 0) throw emma::Error(emma::code::bad_bundle, file + ": the header has no \"Handle\" column (Shopify's product export)");
  // The product as its first row describes it; variant rows carry only variant fields.
  struct Product {
    std::string handle, title, vendor, category, tags, image;
    bool published = true;
    std::uint32_t variants = 0;
  } product;
  while (csv.next(row)) {
    if (row.size() == 1 && trim(row[0]).empty()) continue;
    const std::uint64_t line = csv.first_line();
    if (row.size() != header.size()) {
      ++counts.rows;
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
    const std::string handle = get("Handle");
    if (handle.empty()) {
      ++counts.rows;
      bad.add(file, line, "Handle", "", "is missing");
      continue;
    }
    if (handle != product.handle) {
      product = Product{};
      product.handle = handle;
      product.title = get("Title");
      product.vendor = get("Vendor");
      product.category = get("Type").empty() ? get("Product Category") : get("Type");
      product.tags = get("Tags");
      const std::string status = lower(get("Status")), published = lower(get("Published"));
      product.published = (status.empty() || status == "active") && (published.empty() || published == "true");
    }
    if (product.image.empty()) product.image = get("Image Src");
    const std::string sku = get("Variant SKU"), price_text = get("Variant Price");
    if (sku.empty() && price_text.empty() && get("Option1 Value").empty()) continue;  // an image row
    ++counts.rows;
    ++product.variants;
    if (!product.published) {
      ++counts.left_out;
      continue;
    }
    json obj = json::object();
    // A variant without a SKU (Shopify's default variant) is named by its handle.
    obj["id"] = !sku.empty() ? sku : product.variants == 1 ? handle : handle + "-" + std::to_string(product.variants);
    obj["title"] = product.title.empty() ? handle : product.title;
    obj["url"] = "/products/" + handle;
    const std::string image = get("Variant Image").empty() ? product.image : get("Variant Image");
    if (!image.empty()) obj["image"] = image;
    if (!product.vendor.empty()) obj["brand"] = product.vendor;
    if (!product.category.empty()) obj["category"] = product.category;
    const auto tags = split_list(product.tags);
    if (!tags.empty()) obj["tags"] = tags;
    json attrs = json::object();
    double price = -1, compare = -1;
    if (!price_text.empty()) {
      if (!number(price_text, price)) {
        bad.add(file, line, "Variant Price", price_text, "not an amount");
        continue;
      }
      obj["price"] = price;
    }
    const std::string compare_text = get("Variant Compare At Price");
    if (!compare_text.empty()) {
      if (!number(compare_text, compare)) {
        bad.add(file, line, "Variant Compare At Price", compare_text, "not an amount");
        continue;
      }
      if (compare > price) attrs["list_price"] = compare;
    }
    // Out of stock only when Shopify tracks the stock, none is left and overselling is denied.
    const std::string qty = get("Variant Inventory Qty"), tracker = get("Variant Inventory Tracker"),
                      policy = lower(get("Variant Inventory Policy"));
    if (!qty.empty()) {
      char* end = nullptr;
      const long q = std::strtol(qty.c_str(), &end, 10);
      if (!end || *end != '\0') {
        bad.add(file, line, "Variant Inventory Qty", qty, "not a whole number");
        continue;
      }
      obj["in_stock"] = q > 0 || policy == "continue" || tracker.empty();
    }
    if (!attrs.empty()) obj["attributes"] = attrs;
    emit_item(obj, handle, file, line, bad, [&](FeedItem&& f) {
      f.group_is_id = true;
      sink(std::move(f));
    });
  }
}

}  // namespace emma_tools
