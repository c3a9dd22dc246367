#include "inputs.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

#include "core/error.hpp"
#include "core/offers.hpp"

namespace emma_tools {
namespace {

using emma::Error;
namespace code = emma::code;

bool has_digit(const std::string& s) {
  return std::any_of(s.begin(), s.end(), [](unsigned char ch) { return std::isdigit(ch); });
}

std::string ext_of(const std::string& path) { return std::filesystem::path(path).extension().string(); }

}  // namespace

std::vector<std::string> split_csv(const std::string& line) {
  std::vector<std::string> out;
  std::string cur;
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char ch = line[i];
    if (quoted) {
      if (ch == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        cur += '"';
        ++i;
      } else if (ch == '"') {
        quoted = false;
      } else {
        cur += ch;
      }
    } else if (ch == '"') {
      quoted = true;
    } else if (ch == ',') {
      out.push_back(std::move(cur));
      cur.clear();
    } else if (ch != '\r') {
      cur += ch;
    }
  }
  out.push_back(std::move(cur));
  return out;
}

bool parse_time(const std::string& t, std::int64_t& ms) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  if (t.size() < 10 || t[4] != '-' || t[7] != '-') return false;
  try {
    y = std::stoi(t.substr(0, 4));
    mo = std::stoi(t.substr(5, 2));
    d = std::stoi(t.substr(8, 2));
    if (t.size() >= 16) {
      h = std::stoi(t.substr(11, 2));
      mi = std::stoi(t.substr(14, 2));
    }
    if (t.size() >= 19) s = std::stoi(t.substr(17, 2));
  } catch (const std::exception&) {
    return false;
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return false;
  ms = ((emma::days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d)) * 24 + h) * 60 + mi) * 60'000LL + s * 1000LL;
  return true;
}

std::vector<emma::ItemInput> read_catalog(const std::string& path, const std::string& forced_ext) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(code::bad_bundle, "cannot read the catalog file " + path);
  const std::string ext = forced_ext.empty() ? ext_of(path) : forced_ext;
  emma::JsonLimits limits;
  limits.max_bytes = 1u << 30;
  if (ext == ".json") {
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return emma::parse_catalog_items(emma::parse_json(text, code::bad_bundle, path.c_str(), limits));
  }
  std::vector<emma::ItemInput> items;
  std::string line;
  std::size_t n = 0;
  if (ext == ".jsonl") {
    while (std::getline(in, line)) {
      ++n;
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      const std::string where = path + ":" + std::to_string(n);
      items.push_back(emma::parse_item(emma::parse_json(line, code::bad_bundle, where.c_str()), where));
    }
    return items;
  }
  if (ext != ".csv") throw Error(code::bad_bundle, path + ": catalog files are .json, .jsonl or .csv");
  if (!std::getline(in, line)) throw Error(code::bad_bundle, path + " is empty");
  const auto header = split_csv(line);
  auto col = [&](const char* name) -> int {
    const auto it = std::find(header.begin(), header.end(), name);
    return it == header.end() ? -1 : static_cast<int>(it - header.begin());
  };
  if (col("id") < 0) throw Error(code::bad_bundle, path + ": the header has no \"id\" column");
  n = 1;
  while (std::getline(in, line)) {
    ++n;
    if (line.empty()) continue;
    const auto f = split_csv(line);
    auto get = [&](const char* name) -> std::string {
      const int c = col(name);
      return c >= 0 && static_cast<std::size_t>(c) < f.size() ? f[static_cast<std::size_t>(c)] : "";
    };
    emma::json obj = {{"id", get("id")}};
    for (const char* k : {"title", "url", "image", "category", "brand", "currency"}) {
      if (!get(k).empty()) obj[k] = get(k);
    }
    if (!get("price").empty()) {
      try {
        obj["price"] = std::stod(get("price"));
      } catch (const std::exception&) {
        throw Error(code::bad_bundle, path + ":" + std::to_string(n) + ": price \"" + get("price") + "\" is not a number");
      }
    }
    const std::string avail = get("availability");
    if (!avail.empty()) obj["in_stock"] = avail == "in stock" || avail == "in_stock" || avail == "true" || avail == "1";
    if (!get("tags").empty()) {
      emma::json tags = emma::json::array();
      std::string t, all = get("tags");
      for (char ch : all + "|") {
        if (ch == '|') {
          if (!t.empty()) tags.push_back(t);
          t.clear();
        } else {
          t += ch;
        }
      }
      obj["tags"] = tags;
    }
    items.push_back(emma::parse_item(obj, path + ":" + std::to_string(n)));
  }
  return items;
}

std::vector<std::string> order_files(const std::vector<std::string>& paths) {
  std::vector<std::string> files;
  for (const auto& p : paths) {
    if (p == "-") {
      files.push_back(p);
    } else if (std::filesystem::is_directory(p)) {
      std::vector<std::string> inside;
      for (const auto& e : std::filesystem::directory_iterator(p)) {
        const auto ext = e.path().extension().string();
        if (e.is_regular_file() && (ext == ".csv" || ext == ".jsonl")) inside.push_back(e.path().string());
      }
      std::sort(inside.begin(), inside.end());
      files.insert(files.end(), inside.begin(), inside.end());
    } else if (std::filesystem::is_regular_file(p)) {
      files.push_back(p);
    } else {
      throw Error(code::bad_request, "no such order file or folder: " + p);
    }
  }
  return files;
}

void read_orders(const std::string& file, OrderReadStats& stats, const std::function<void(const emma::OrderLine&)>& sink,
                 const std::function<void(const std::string&, const std::string&, double, std::int64_t)>& describe,
                 const OrderReadOptions& options) {
  BadRows ignored;
  BadRows& bad = options.bad ? *options.bad : ignored;
  static const CustomerHasher own_hasher;
  const CustomerHasher& hasher = options.hasher ? *options.hasher : own_hasher;
  // "-" is standard input (Online Retail CSV), so that generated logs need no disk.
  std::ifstream fin;
  if (file != "-") {
    fin.open(file, std::ios::binary);
    if (!fin) throw Error(code::bad_request, "cannot read " + file);
  }
  std::istream& in = file == "-" ? std::cin : fin;
  std::string line;
  std::size_t n = 0;
  if (ext_of(file) == ".jsonl") {
    while (std::getline(in, line)) {
      ++n;
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      ++stats.rows;
      const std::string where = file + ":" + std::to_string(n);
      try {
      const auto doc = emma::parse_json(line, code::bad_request, where.c_str());
      emma::Fields f(doc, where, code::bad_request);
      if (f.opt_str("type", 32).value_or("purchase") != "purchase") {
        ++stats.skipped;
        continue;
      }
      const std::string customer = f.str("customer", 256), basket = f.str("basket", 256), item = f.str("item", 256);
      std::int64_t at = 0;
      if (doc.contains("at") && doc["at"].is_string()) {
        if (!parse_time(doc["at"].get<std::string>(), at)) f.fail("at", "is not a date (YYYY-MM-DD[ HH:MM:SS])");
      } else {
        at = f.opt_int("at", 0, INT64_C(1) << 53).value_or(0);  // ms since the epoch
      }
      const double q = f.opt_num("quantity").value_or(1);
      if (q <= 0) {
        ++stats.skipped;
        continue;
      }
      ++stats.kept;
      sink({customer, basket, item, at, q});
      } catch (const Error& e) {
        bad.add_message(e.what());
      }
    }
    return;
  }
  if (!std::getline(in, line)) return;  // header
  if (line.rfind("\xEF\xBB\xBF", 0) == 0) line.erase(0, 3);
  // Exports from shops in countries with a decimal comma separate fields with ';'.
  const char sep = line.find(',') == std::string::npos && line.find(';') != std::string::npos ? ';'
                 : line.find(',') == std::string::npos && line.find('\t') != std::string::npos ? '\t' : ',';
  std::vector<std::string> header;
  {
    std::istringstream head(line);
    CsvReader(head, sep).next(header);
  }
  if (!options.columns.empty()) {
    read_mapped_orders(in, file, header, sep, options.columns, hasher, stats, bad, sink);
    return;
  }
  if (is_shopify_orders_header(header)) {
    read_shopify_orders(in, file, header, hasher, stats, bad, sink);
    return;
  }
  static const std::vector<std::string> kRetail = {"InvoiceNo", "StockCode", "Description", "Quantity",
                                                   "InvoiceDate", "UnitPrice", "CustomerID", "Country"};
  if (header.size() < 7 || !std::equal(kRetail.begin(), kRetail.begin() + 7, header.begin())) {
    throw Error(code::bad_request, file + ": not an order log emma-model knows: the Online Retail header (InvoiceNo,StockCode,"
                                          "Description,Quantity,InvoiceDate,UnitPrice,CustomerID,...), Shopify's orders export, or "
                                          "any CSV with --orders-columns customer=...,basket=...,item=...,at=...");
  }
  n = 1;
  while (std::getline(in, line)) {
    ++n;
    if (line.empty()) continue;
    ++stats.rows;
    const auto f = split_csv(line);
    if (f.size() < 7) {
      bad.add(file, n, "row", std::to_string(f.size()) + " fields", "expected 8");
      continue;
    }
    const std::string &invoice = f[0], &code_ = f[1], &qty = f[3], &date = f[4], &customer = f[6];
    int q = 0;
    try {
      std::size_t used = 0;
      q = std::stoi(qty, &used);
      if (used != qty.size()) q = 0;
    } catch (const std::exception&) {
      q = 0;
    }
    if (customer.empty() || (!invoice.empty() && invoice[0] == 'C') || q <= 0 || !has_digit(code_)) {
      ++stats.skipped;
      continue;
    }
    std::int64_t at = 0;
    if (!parse_time(date, at)) {
      bad.add(file, n, "InvoiceDate", date, "not a date");
      continue;
    }
    ++stats.kept;
    if (describe) {
      double price = -1;
      try {
        price = std::stod(f[5]);
      } catch (const std::exception&) {
      }
      describe(code_, f[2], price, at);
    }
    sink({customer, invoice, code_, at, static_cast<double>(q)});
  }
}

}  // namespace emma_tools
