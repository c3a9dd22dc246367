#include "catalog_import.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "core/error.hpp"
#include "inputs.hpp"

namespace emma_tools {
namespace {

using emma::json;

struct Format {
  CatalogFormat format;
  const char* name;
};
constexpr Format kFormats[] = {{CatalogFormat::json, "json"},       {CatalogFormat::jsonl, "jsonl"},
                               {CatalogFormat::csv, "csv"},         {CatalogFormat::google_xml, "google"},
                               {CatalogFormat::google_tsv, "google-tsv"}, {CatalogFormat::shopify, "shopify"},
                               {CatalogFormat::woocommerce, "woocommerce"}};

bool has_column(const std::vector<std::string>& header, const char* name) {
  for (const auto& h : header) {
    if (trim(h) == name) return true;
  }
  return false;
}

// Folds the variants of one product into one item as they stream in. The folded item keeps
// the first variant's descriptive fields (title, link, image, category: the product page),
// is in stock when any variant is, costs the lowest price a shopper can pay now (of the
// variants in stock, when any is), and lists its variants' ids in attributes.variants.
// Memory per item is a 64-bit hash of its id and 16 bytes of state (a 1M-item feed), plus the
// variant lists of grouped products; two ids with one hash (odds ~1e-8 at 1M items) would be
// reported as a duplicate, never merged silently.
class VariantFolder {
 public:
  VariantFolder(BadRows& bad, const std::string& file, bool keep_items) : bad_(bad), file_(file), keep_(keep_items) {}

  void add(FeedItem&& f) {
    const bool grouped_row = !f.group.empty();
    const std::string key = grouped_row ? f.group : f.item.id;
    if (grouped_row && !out_.variant_of.try_emplace(f.item.id, key).second) {
      bad_.add(file_, f.line, "id", f.item.id, "appears more than once");
      return;
    }
    auto [it, added] = index_.try_emplace(std::hash<std::string>{}(key), static_cast<std::uint32_t>(states_.size()));
    if (!added && !grouped_row && !(states_[it->second].grouped)) {
      bad_.add(file_, f.line, "id", f.item.id, "appears more than once (first at line " + std::to_string(states_[it->second].line) + ")");
      return;
    }
    if (added) {
      State s;
      s.line = f.line;
      s.grouped = grouped_row;
      s.group_is_id = f.group_is_id;
      s.any_in_stock = s.price_in_stock = f.item.in_stock;
      if (grouped_row) groups_[it->second] = Group{f.item.id, {f.item.id}};
      states_.push_back(s);
      if (keep_) {
        f.item.id = key;
        out_.items.push_back(std::move(f.item));
      }
      return;
    }
    State& s = states_[it->second];
    Group& g = groups_[it->second];
    if (g.variants.empty()) g = Group{key, {key}};  // an item of its own until a variant named it as group
    ++out_.variants_folded;
    s.grouped = true;
    g.variants.push_back(f.item.id);
    const auto& v = f.item;
    if (!keep_) {
      s.any_in_stock = s.any_in_stock || v.in_stock;
      return;
    }
    emma::ItemInput& into = out_.items[it->second];
    // The price a shopper can pay now: the cheapest variant in stock, else the cheapest.
    if (v.price >= 0 && (into.price < 0 || (v.in_stock && !s.price_in_stock) ||
                         (v.in_stock == s.price_in_stock && v.price < into.price))) {
      into.price = v.price;
      if (!v.currency.empty()) into.currency = v.currency;
      s.price_in_stock = v.in_stock;
    }
    if (v.in_stock) s.any_in_stock = true;
    into.in_stock = s.any_in_stock;
    for (const auto& t : v.tags) {
      if (into.tags.size() < 64 && std::find(into.tags.begin(), into.tags.end(), t) == into.tags.end()) into.tags.push_back(t);
    }
    if (into.title.empty() || into.title == g.first_id) into.title = v.title;
    if (into.image.empty()) into.image = v.image;
    if (into.url.empty()) into.url = v.url;
    if (into.brand.empty()) into.brand = v.brand;
    if (into.category_path.empty()) into.category_path = v.category_path;
  }

  ImportedCatalog finish() {
    out_.item_count = states_.size();
    for (auto& [i, g] : groups_) {
      const State& s = states_[i];
      if (g.variants.size() == 1 && !s.group_is_id) {
        // A group of one: the product is its only variant; it keeps its own id.
        out_.variant_of.erase(g.first_id);
        if (keep_) out_.items[i].id = g.first_id;
        continue;
      }
      if (!keep_) continue;
      emma::ItemInput& item = out_.items[i];
      // The variants a page may name (a variable product's own row is the product itself), also
      // a product's only one when its id differs (a Shopify handle and its SKU): the engine
      // resolves them to the product (Catalog::find).
      g.variants.erase(std::remove(g.variants.begin(), g.variants.end(), item.id), g.variants.end());
      if (g.variants.empty()) continue;
      json attrs = item.attributes_json.empty() ? json::object() : json::parse(item.attributes_json);
      attrs["variants"] = g.variants;
      item.attributes_json = attrs.dump();
    }
    // Variant ids that name the folded item itself need no mapping.
    for (auto it = out_.variant_of.begin(); it != out_.variant_of.end();) {
      it = it->first == it->second ? out_.variant_of.erase(it) : std::next(it);
    }
    return std::move(out_);
  }

 private:
  struct State {
    std::uint64_t line = 0;
    bool grouped = false, group_is_id = false, any_in_stock = false, price_in_stock = false;
  };
  struct Group {
    std::string first_id;
    std::vector<std::string> variants;
  };
  BadRows& bad_;
  std::string file_;
  bool keep_;
  std::unordered_map<std::size_t, std::uint32_t> index_;
  std::vector<State> states_;
  std::unordered_map<std::uint32_t, Group> groups_;
  ImportedCatalog out_;
};

ImportedCatalog import_stream(std::istream& in, const std::string& name, CatalogFormat format, BadRows& bad, bool keep_items) {
  VariantFolder folder(bad, name, keep_items);
  ImportCounts counts;
  const FeedSink sink = [&](FeedItem&& f) { folder.add(std::move(f)); };
  switch (format) {
    case CatalogFormat::google_xml: read_google_xml(in, name, counts, bad, sink); break;
    case CatalogFormat::google_tsv: read_google_tsv(in, name, counts, bad, sink); break;
    case CatalogFormat::shopify: read_shopify_products(in, name, counts, bad, sink); break;
    case CatalogFormat::woocommerce: read_woocommerce_products(in, name, counts, bad, sink); break;
    default: throw emma::Error(emma::code::internal, "not a streamed catalog format");
  }
  ImportedCatalog out = folder.finish();
  out.format = format;
  out.counts = counts;
  return out;
}

}  // namespace

CatalogFormat catalog_format_named(const std::string& name) {
  for (const auto& f : kFormats) {
    if (name == f.name) return f.format;
  }
  throw emma::Error(emma::code::bad_request,
                    "--catalog-format \"" + name + "\": use json, jsonl, csv, google, google-tsv, shopify or woocommerce");
}

const char* catalog_format_name(CatalogFormat format) {
  for (const auto& f : kFormats) {
    if (format == f.format) return f.name;
  }
  return "automatic";
}

CatalogFormat detect_catalog_format(const std::string& head_bytes) {
  std::string head = head_bytes;
  if (head.rfind("\xEF\xBB\xBF", 0) == 0) head.erase(0, 3);
  const auto b = head.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return CatalogFormat::automatic;
  if (head[b] == '<') return CatalogFormat::google_xml;
  if (head[b] == '[') return CatalogFormat::json;
  if (head[b] == '{') {
    // JSON Lines: the first line is a whole object of its own; {"items":[...]} is not.
    const auto nl = head.find('\n', b);
    if (nl == std::string::npos) return CatalogFormat::json;
    const std::string first = trim(head.substr(b, nl - b));
    return json::accept(first) && first.find("\"items\"") == std::string::npos ? CatalogFormat::jsonl : CatalogFormat::json;
  }
  std::istringstream in(head);
  std::string line;
  std::getline(in, line);
  if (line.find('\t') != std::string::npos) return CatalogFormat::google_tsv;
  const auto header = split_csv(line);
  if (has_column(header, "Handle") && (has_column(header, "Variant SKU") || has_column(header, "Variant Price"))) {
    return CatalogFormat::shopify;
  }
  if (has_column(header, "ID") && has_column(header, "Type") && has_column(header, "SKU") && has_column(header, "Name")) {
    return CatalogFormat::woocommerce;
  }
  if (has_column(header, "id")) return CatalogFormat::csv;
  return CatalogFormat::automatic;
}

bool emit_item(const json& obj, std::string group, const std::string& file, std::uint64_t line, BadRows& bad,
               const FeedSink& sink) {
  FeedItem f;
  try {
    f.item = emma::parse_item(obj, "@");
  } catch (const emma::Error& e) {
    std::string m = e.what();
    if (m.rfind("@.", 0) == 0) m = m.substr(2);
    bad.add_message(file + ":" + std::to_string(line) + ": " + m);
    return false;
  }
  f.group = std::move(group);
  f.line = line;
  sink(std::move(f));
  return true;
}

ImportedCatalog import_catalog_bytes(const std::string& bytes, const std::string& name, CatalogFormat format, BadRows& bad) {
  if (format == CatalogFormat::automatic) format = detect_catalog_format(bytes.substr(0, 4096));
  std::istringstream in(bytes);
  return import_stream(in, name, format, bad, true);
}

ImportedCatalog import_catalog(const std::string& path, CatalogFormat format, BadRows& bad, bool keep_items) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw emma::Error(emma::code::bad_bundle, "cannot read the catalog file " + path);
  if (format == CatalogFormat::automatic) {
    std::string head(4096, '\0');
    in.read(head.data(), static_cast<std::streamsize>(head.size()));
    head.resize(static_cast<std::size_t>(in.gcount()));
    in.clear();
    in.seekg(0);
    format = detect_catalog_format(head);
    if (format == CatalogFormat::automatic) {
      throw emma::Error(emma::code::bad_bundle, path + ": not a catalog format emma-model knows (JSON, JSON Lines, CSV with an id column, "
                                                       "a Google Merchant feed, a Shopify or WooCommerce product export); see --catalog-format");
    }
  }
  if (format == CatalogFormat::json || format == CatalogFormat::jsonl || format == CatalogFormat::csv) {
    // Emma's own formats are strict: the first problem ends the build, as before.
    ImportedCatalog out;
    out.items = read_catalog(path, format == CatalogFormat::json ? ".json" : format == CatalogFormat::jsonl ? ".jsonl" : ".csv");
    out.format = format;
    out.counts.rows = out.item_count = out.items.size();
    return out;
  }
  return import_stream(in, path, format, bad, keep_items);
}

}  // namespace emma_tools
