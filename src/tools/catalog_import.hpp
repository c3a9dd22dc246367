// A shop's catalog file in any format emma-model reads, recognised from its content: Emma's
// own JSON, JSON Lines and CSV, a Google Merchant feed (RSS 2.0, Atom 1.0, TSV), Shopify's and
// WooCommerce's product CSV exports. Variants of one product are folded into one item, so
// the engine never recommends five sizes of one shirt side by side.
#pragma once
#include <functional>
#include <istream>
#include <string>
#include <unordered_map>
#include <vector>

#include "import_common.hpp"

namespace emma_tools {

enum class CatalogFormat { automatic, json, jsonl, csv, google_xml, google_tsv, shopify, woocommerce };

// --catalog-format names: json, jsonl, csv, google (XML), google-tsv, shopify, woocommerce.
CatalogFormat catalog_format_named(const std::string& name);
const char* catalog_format_name(CatalogFormat f);
// From the first bytes of the file (and the file name only to tell JSON from JSON Lines).
CatalogFormat detect_catalog_format(const std::string& head);

using FeedSink = std::function<void(FeedItem&&)>;

// The importers, one per format (each file beside this one). They stream: an item is handed
// to `sink` as soon as it is read. A bad entry is counted in `bad` and skipped.
struct ImportCounts {
  std::uint64_t rows = 0;      // entries read (items, variant rows)
  std::uint64_t left_out = 0;  // deliberately not published (drafts, archived, unpublished)
  std::uint64_t recoded = 0;   // fields that were not UTF-8 and were read as Windows-1252
};
void read_google_xml(std::istream& in, const std::string& file, ImportCounts& counts, BadRows& bad, const FeedSink& sink);
void read_google_tsv(std::istream& in, const std::string& file, ImportCounts& counts, BadRows& bad, const FeedSink& sink);
void read_shopify_products(std::istream& in, const std::string& file, ImportCounts& counts, BadRows& bad, const FeedSink& sink);
void read_woocommerce_products(std::istream& in, const std::string& file, ImportCounts& counts, BadRows& bad,
                               const FeedSink& sink);

// Shared by the importers: validates an item object the way every catalog is validated
// (emma::parse_item) and hands it on; a problem becomes a bad row naming file and line.
bool emit_item(const emma::json& obj, std::string group, const std::string& file, std::uint64_t line, BadRows& bad,
               const FeedSink& sink);

struct ImportedCatalog {
  std::vector<emma::ItemInput> items;
  // Variant id -> the id of the item it was folded into (orders name variants by SKU).
  std::unordered_map<std::string, std::string> variant_of;
  CatalogFormat format = CatalogFormat::automatic;
  ImportCounts counts;
  std::uint64_t variants_folded = 0;
  std::size_t item_count = 0;  // items.size(), or what it would be when items were not kept
};

// Reads, validates, folds variants; bad entries land in `bad` (the caller applies the limit).
// Without `keep_items` only counts, ids and variant groups are kept (emma-model check): the
// importer's own memory, apart from the catalog a bundle needs.
ImportedCatalog import_catalog(const std::string& path, CatalogFormat format, BadRows& bad, bool keep_items = true);

// The same from bytes (fuzz targets and tests).
ImportedCatalog import_catalog_bytes(const std::string& bytes, const std::string& name, CatalogFormat format, BadRows& bad);

}  // namespace emma_tools
