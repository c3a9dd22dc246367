#include "orders_import.hpp"

#include <algorithm>
#include <cstdlib>

#include "core/error.hpp"
#include "inputs.hpp"

namespace emma_tools {
namespace {

int find_column(const std::vector<std::string>& header, const std::string& name) {
  for (std::size_t i = 0; i < header.size(); ++i) {
    if (trim(header[i]) == name) return static_cast<int>(i);
  }
  return -1;
}

bool quantity_of(const std::string& text, double& q) {
  const std::string t = trim(text);
  if (t.empty()) {
    q = 1;
    return true;
  }
  char* end = nullptr;
  q = std::strtod(t.c_str(), &end);
  return end && *end == '\0' && q == q;
}

// Warehouse dumps write times as numbers: seconds (10 digits) or ms (13 digits) since 1970.
bool epoch_time(const std::string& text, std::int64_t& ms) {
  if (text.empty() || text.size() > 15 || text.find_first_not_of("0123456789") != std::string::npos) return false;
  const long long v = std::stoll(text);
  ms = text.size() >= 12 ? v : v * 1000;
  return true;
}

// Wipes a customer identifier from a row buffer once hashed (it is not kept anywhere).
void wipe(std::string& s) {
  std::fill(s.begin(), s.end(), '\0');
  s.clear();
}

}  // namespace

OrderColumns OrderColumns::parse(const std::string& spec) {
  OrderColumns c;
  for (const auto& part : split_list(spec)) {
    const auto eq = part.find('=');
    if (eq == std::string::npos) throw emma::Error(emma::code::bad_request, "--orders-columns: \"" + part + "\" is not name=Column");
    const std::string key = trim(part.substr(0, eq)), value = trim(part.substr(eq + 1));
    std::string* slot = key == "customer" ? &c.customer : key == "basket" ? &c.basket : key == "item" ? &c.item
                      : key == "at" ? &c.at : key == "quantity" ? &c.quantity : nullptr;
    if (!slot) throw emma::Error(emma::code::bad_request, "--orders-columns: \"" + key + "\" is not customer, basket, item, at or quantity");
    *slot = value;
  }
  if (c.customer.empty() || c.basket.empty() || c.item.empty() || c.at.empty()) {
    throw emma::Error(emma::code::bad_request, "--orders-columns needs customer=, basket=, item= and at= (quantity= is optional)");
  }
  return c;
}

bool is_shopify_orders_header(const std::vector<std::string>& header) {
  return find_column(header, "Name") >= 0 && find_column(header, "Lineitem sku") >= 0 && find_column(header, "Created at") >= 0;
}

void read_shopify_orders(std::istream& in, const std::string& file, const std::vector<std::string>& header,
                         const CustomerHasher& hasher, OrderImportStats& stats, BadRows& bad, const OrderSink& sink) {
  const int c_name = find_column(header, "Name"), c_email = find_column(header, "Email"),
            c_status = find_column(header, "Financial Status"), c_created = find_column(header, "Created at"),
            c_qty = find_column(header, "Lineitem quantity"), c_sku = find_column(header, "Lineitem sku"),
            c_cancelled = find_column(header, "Cancelled at");
  if (c_email < 0) throw emma::Error(emma::code::bad_request, file + ": Shopify's orders export without an \"Email\" column");
  CsvReader csv(in);
  csv.skip_lines(1);
  std::vector<std::string> row;
  // Shopify writes the order's fields on its first row only; later rows repeat the Name.
  std::string order, customer, status, cancelled;
  std::int64_t at = 0;
  bool at_ok = false;
  auto field = [&](int c) -> std::string { return c >= 0 && static_cast<std::size_t>(c) < row.size() ? trim(row[static_cast<std::size_t>(c)]) : ""; };
  while (csv.next(row)) {
    if (row.size() == 1 && trim(row[0]).empty()) continue;
    const std::uint64_t line = csv.first_line();
    ++stats.rows;
    const std::string name = field(c_name);
    std::string email = c_email >= 0 && static_cast<std::size_t>(c_email) < row.size() ? row[static_cast<std::size_t>(c_email)] : "";
    if (name != order) {
      order = name;
      customer = hasher.hash(email);
      status = lower(field(c_status));
      cancelled = field(c_cancelled);
      at_ok = parse_time_zoned(field(c_created), at);
      if (!at_ok && !name.empty()) bad.add(file, line, "Created at", field(c_created), "not a date");
    } else if (customer.empty() && !trim(email).empty()) {
      customer = hasher.hash(email);
    }
    if (c_email >= 0 && static_cast<std::size_t>(c_email) < row.size()) wipe(row[static_cast<std::size_t>(c_email)]);
    wipe(email);
    if (row.size() != header.size()) {
      bad.add(file, line, "row", std::to_string(row.size()) + " fields", "expected " + std::to_string(header.size()) + " (as the header)");
      continue;
    }
    if (name.empty()) {
      bad.add(file, line, "Name", "", "is missing (the order number)");
      continue;
    }
    if (!at_ok) {
      ++stats.skipped;  // reported once, on the order's first row
      continue;
    }
    // Cancelled, refunded and voided orders are no purchase; guests without an e-mail
    // cannot be told apart, so their lines would count as one customer.
    if (!cancelled.empty() || status == "refunded" || status == "voided" || customer.empty()) {
      ++stats.skipped;
      continue;
    }
    const std::string sku = field(c_sku);
    double q = 1;
    if (!quantity_of(field(c_qty), q)) {
      bad.add(file, line, "Lineitem quantity", field(c_qty), "not a number");
      continue;
    }
    if (sku.empty()) {
      bad.add(file, line, "Lineitem sku", "", "is missing (lines are matched to the catalog by SKU)");
      continue;
    }
    if (q <= 0) {
      ++stats.skipped;
      continue;
    }
    ++stats.kept;
    sink({customer, order, sku, at, q});
  }
}

void read_mapped_orders(std::istream& in, const std::string& file, const std::vector<std::string>& header, char separator,
                        const OrderColumns& columns, const CustomerHasher& hasher, OrderImportStats& stats, BadRows& bad,
                        const OrderSink& sink) {
  auto need = [&](const std::string& name, const char* what) {
    const int c = find_column(header, name);
    if (c < 0) throw emma::Error(emma::code::bad_request, file + ": --orders-columns " + what + "=" + name + ": no such column in the header");
    return c;
  };
  const int c_customer = need(columns.customer, "customer"), c_basket = need(columns.basket, "basket"),
            c_item = need(columns.item, "item"), c_at = need(columns.at, "at");
  const int c_qty = columns.quantity.empty() ? -1 : need(columns.quantity, "quantity");
  CsvReader csv(in, separator);
  csv.skip_lines(1);
  std::vector<std::string> row;
  while (csv.next(row)) {
    if (row.size() == 1 && trim(row[0]).empty()) continue;
    const std::uint64_t line = csv.first_line();
    ++stats.rows;
    if (row.size() != header.size()) {
      if (static_cast<std::size_t>(c_customer) < row.size()) wipe(row[static_cast<std::size_t>(c_customer)]);
      bad.add(file, line, "row", std::to_string(row.size()) + " fields", "expected " + std::to_string(header.size()) + " (as the header)");
      continue;
    }
    std::string& raw_customer = row[static_cast<std::size_t>(c_customer)];
    const std::string customer = hasher.hash(raw_customer);
    wipe(raw_customer);
    const std::string basket = trim(row[static_cast<std::size_t>(c_basket)]), item = trim(row[static_cast<std::size_t>(c_item)]);
    const std::string when = trim(row[static_cast<std::size_t>(c_at)]);
    std::int64_t at = 0;
    double q = 1;
    if (customer.empty()) {
      bad.add_plain(file, line, columns.customer, "is empty");
    } else if (basket.empty()) {
      bad.add(file, line, columns.basket, "", "is empty");
    } else if (item.empty()) {
      bad.add(file, line, columns.item, "", "is empty");
    } else if (!epoch_time(when, at) && !parse_time_zoned(when, at)) {
      bad.add(file, line, columns.at, when, "not a date (YYYY-MM-DD[ HH:MM:SS][ +hhmm], or seconds or ms since 1970)");
    } else if (c_qty >= 0 && !quantity_of(row[static_cast<std::size_t>(c_qty)], q)) {
      bad.add(file, line, columns.quantity, row[static_cast<std::size_t>(c_qty)], "not a number");
    } else if (q <= 0) {
      ++stats.skipped;  // returns and corrections
    } else {
      ++stats.kept;
      sink({customer, basket, item, at, q});
    }
  }
}

}  // namespace emma_tools
