// Reading a shop's files for emma-model: catalogs (JSON, JSON Lines, CSV) and order logs
// (the Online Retail CSV layout, or JSON Lines events). Format parsing only: what the
// numbers mean is the core's (model_builder).
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/catalog.hpp"
#include "core/model_builder.hpp"
#include "orders_import.hpp"

namespace emma_tools {

// Splits one CSV line (RFC 4180 quoting; fields do not span lines).
std::vector<std::string> split_csv(const std::string& line);

// "2011-09-01", "2011-09-01 08:26:00", "2011-09-01T08:26:00Z" -> ms since the epoch (UTC).
// Returns false when the text is not such a date.
bool parse_time(const std::string& text, std::int64_t& ms);

// A catalog file by extension: .json ({"items":[...]}), .jsonl (one item per line), .csv
// (header: id,title,url,image,category,brand,tags,price,currency,availability; tags split
// on '|', availability "in stock"/"out of stock"/true/false).
// `ext` overrides the file's own extension (--catalog-format).
std::vector<emma::ItemInput> read_catalog(const std::string& path, const std::string& ext = "");

// Every file under `paths` (folders: their *.csv and *.jsonl files, by name), in order.
std::vector<std::string> order_files(const std::vector<std::string>& paths);

using OrderReadStats = OrderImportStats;

// Where order rows may come from besides Emma's own layouts, and where bad rows go.
struct OrderReadOptions {
  OrderColumns columns;                    // --orders-columns (a CSV of any layout)
  const CustomerHasher* hasher = nullptr;  // customer identifiers -> salted hashes
  BadRows* bad = nullptr;                  // null: bad rows are counted nowhere (a scan pass)
};

// Reads order lines and calls `sink` for every purchase line that passes the filters of
// the evaluation protocol (customer set, not a cancellation, quantity > 0, a product code).
// Retail CSV: InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country
// JSON Lines: {"customer","basket","item","at" (ms or date text),"quantity","type":"purchase"}
// Shopify's orders export and --orders-columns CSVs: orders_import.hpp. Bad rows are counted
// in options.bad and skipped.
// `describe`, when set, also receives the row's title and price (catalog from orders).
void read_orders(const std::string& file, OrderReadStats& stats, const std::function<void(const emma::OrderLine&)>& sink,
                 const std::function<void(const std::string& item, const std::string& title, double price, std::int64_t at)>& describe = {},
                 const OrderReadOptions& options = {});

}  // namespace emma_tools
