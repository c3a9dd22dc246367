#include "offers_import.hpp"

#include <fstream>
#include <iterator>
#include <sstream>

#include "core/error.hpp"
#include "core/offers.hpp"
#include "import_common.hpp"

namespace emma_tools {
namespace {

emma::json from_csv(std::istream& in, const std::string& path) {
  CsvReader csv(in);
  std::vector<std::string> header, row;
  if (!csv.next(header)) throw emma::Error(emma::code::bad_request, path + ": the offers file is empty");
  for (auto& h : header) h = lower(trim(h));
  emma::json out = emma::json::array();
  while (csv.next(row)) {
    if (row.size() == 1 && trim(row[0]).empty()) continue;
    if (row.size() != header.size()) {
      throw emma::Error(emma::code::bad_request, path + ":" + std::to_string(csv.first_line()) + ": " + std::to_string(row.size()) +
                                                     " fields, the header has " + std::to_string(header.size()));
    }
    emma::json o = emma::json::object();
    for (std::size_t k = 0; k < header.size(); ++k) {
      const std::string v = trim(row[k]);
      if (v.empty()) continue;
      const std::string& key = header[k];
      if (key == "categories" || key == "brands" || key == "segments") {
        o[key] = emma::json::array();
        for (const auto& part : split_list(v, '|')) {
          if (!trim(part).empty()) o[key].push_back(trim(part));
        }
      } else if (key == "min_basket" || key == "priority") {
        double amount = 0;
        std::string currency;
        if (!parse_amount(v, amount, currency)) {
          throw emma::Error(emma::code::bad_request, path + ":" + std::to_string(csv.first_line()) + ": " + key + " \"" + v + "\" is not a number");
        }
        o[key] = amount;
      } else {
        o[key] = v;
      }
    }
    out.push_back(std::move(o));
  }
  return out;
}

}  // namespace

emma::json read_offers_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw emma::Error(emma::code::bad_request, "cannot read the offers file " + path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::size_t first = text.find_first_not_of(" \t\r\n\xEF\xBB\xBF");
  emma::json offers;
  if (first != std::string::npos && (text[first] == '[' || text[first] == '{')) {
    offers = emma::parse_json(text, emma::code::bad_request, path.c_str());
    if (offers.is_object() && offers.contains("offers")) offers = offers["offers"];
  } else {
    std::istringstream s(text);
    offers = from_csv(s, path);
  }
  return emma::check_offers(offers, path, emma::code::bad_request);
}

}  // namespace emma_tools
