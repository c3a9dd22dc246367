// Order exports of shop systems: Shopify's orders CSV and any CSV through a column mapping
// (--orders-columns customer=...,basket=...,item=...,at=...,quantity=...). Customer
// identifiers (e-mail addresses) are replaced by a salted hash in the reader, before the line
// reaches anything else; bad rows are counted, never printed with the customer's value.
#pragma once
#include <functional>
#include <istream>
#include <string>
#include <vector>

#include "core/model_builder.hpp"
#include "import_common.hpp"

namespace emma_tools {

struct OrderColumns {
  std::string customer, basket, item, at, quantity;
  // "customer=Email,basket=Order Number,item=SKU,at=Order Date,quantity=Qty"
  static OrderColumns parse(const std::string& spec);
  bool empty() const { return item.empty(); }
};

struct OrderImportStats {
  std::uint64_t rows = 0, kept = 0, skipped = 0;
};

using OrderSink = std::function<void(const emma::OrderLine&)>;

// Both read after the header line (given split); `line` is the header's line number.
bool is_shopify_orders_header(const std::vector<std::string>& header);
void read_shopify_orders(std::istream& in, const std::string& file, const std::vector<std::string>& header,
                         const CustomerHasher& hasher, OrderImportStats& stats, BadRows& bad, const OrderSink& sink);
void read_mapped_orders(std::istream& in, const std::string& file, const std::vector<std::string>& header, char separator,
                        const OrderColumns& columns, const CustomerHasher& hasher, OrderImportStats& stats, BadRows& bad,
                        const OrderSink& sink);

}  // namespace emma_tools
