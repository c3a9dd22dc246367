#include "aggregates.hpp"

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <unordered_map>

#include "core/error.hpp"
#include "core/json_input.hpp"
#include "import_common.hpp"

namespace emma_tools {
namespace {

using emma::Error;
namespace code = emma::code;

// Reads `dir/name` as CSV; calls `row` with the fields by header name.
template <typename F>
void read_table(const std::string& dir, const char* name, const std::vector<std::string>& columns, F&& row) {
  const std::string path = dir + "/" + name;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    // A warehouse often writes Parquet; emma-model reads CSV only, npm run model converts.
    const std::string parquet = path.substr(0, path.size() - 4) + ".parquet";
    if (std::ifstream(parquet)) {
      throw Error(code::bad_request, "--aggregates: " + parquet + " is Parquet; emma-model reads CSV (" + name +
                                         "): give the folder to `npm run model -- --aggregates`, which converts it");
    }
    throw Error(code::bad_request, "--aggregates: cannot read " + path);
  }
  CsvReader csv(in);
  std::vector<std::string> header, fields;
  if (!csv.next(header)) throw Error(code::bad_request, path + " is empty");
  std::vector<std::size_t> at;
  for (const auto& c : columns) {
    std::size_t k = 0;
    while (k < header.size() && trim(header[k]) != c) ++k;
    if (k == header.size()) throw Error(code::bad_request, path + ": no \"" + c + "\" column");
    at.push_back(k);
  }
  std::vector<std::string> picked(columns.size());
  while (csv.next(fields)) {
    if (fields.size() == 1 && fields[0].empty()) continue;
    if (fields.size() != header.size()) throw Error(code::bad_request, path + ":" + std::to_string(csv.first_line()) + ": wrong number of fields");
    for (std::size_t c = 0; c < at.size(); ++c) picked[c] = fields[at[c]];
    row(picked, path + ":" + std::to_string(csv.first_line()));
  }
}

std::uint64_t count(const std::string& text, const std::string& where) {
  char* end = nullptr;
  // Engines write counts as integers; some write "12.0" for an aggregate over floats.
  const double v = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0' || v < 0 || v != static_cast<double>(static_cast<std::uint64_t>(v))) {
    throw Error(code::bad_request, where + ": \"" + text + "\" is not a count");
  }
  return static_cast<std::uint64_t>(v);
}

}  // namespace

Aggregates read_aggregates(const std::string& dir, const std::vector<emma::ItemInput>& items, emma::BuildOptions options) {
  Aggregates out;
  {
    std::ifstream in(dir + "/aggregates.json", std::ios::binary);
    if (!in) throw Error(code::bad_request, "--aggregates: cannot read " + dir + "/aggregates.json");
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto doc = emma::parse_json(text, code::bad_request, "aggregates.json");
    emma::Fields f(doc, "aggregates.json", code::bad_request);
    out.engine = f.str("engine", 64);
    options.until = *f.opt_int("until_ms", 1, INT64_C(1) << 53);
    options.k = static_cast<std::uint32_t>(*f.opt_int("k", 1, 8));
    options.max_basket = static_cast<std::uint32_t>(*f.opt_int("max_basket", 2, 100000));
  }
  const std::size_t n = items.size();
  std::unordered_map<std::string, std::uint32_t> index;
  for (std::size_t i = 0; i < n; ++i) index.emplace(items[i].id, static_cast<std::uint32_t>(i));
  auto item_of = [&](const std::string& id, const std::string& where) {
    const auto it = index.find(id);
    if (it == index.end()) throw Error(code::bad_request, where + ": item \"" + id + "\" is not in the catalog");
    return it->second;
  };
  auto& m = out.model;
  m.windows = options.windows;
  m.popularity.assign(m.windows.size(), std::vector<float>(n, 0));
  std::vector<std::uint32_t> item_baskets(n, 0);
  // Native windows are 7d, 30d, 90d and all (BuildOptions); the SQL counts the same.
  read_table(dir, "popularity.csv", {"item", "baskets", "d7", "d30", "d90"}, [&](const std::vector<std::string>& f, const std::string& where) {
    const auto i = item_of(f[0], where);
    item_baskets[i] = static_cast<std::uint32_t>(count(f[1], where));
    for (std::size_t w = 0; w < m.windows.size(); ++w) {
      const auto days = m.windows[w].days;
      const std::string& v = days == 0 ? f[1] : days == 7 ? f[2] : days == 30 ? f[3] : days == 90 ? f[4] : "";
      if (v.empty()) throw Error(code::bad_request, "--aggregates: no counts for a " + std::to_string(days) + "-day window");
      m.popularity[w][i] = static_cast<float>(count(v, where));
    }
  });
  std::vector<emma::KeptPair> pairs;
  read_table(dir, "pairs.csv", {"item_a", "item_b", "baskets"}, [&](const std::vector<std::string>& f, const std::string& where) {
    pairs.push_back({item_of(f[0], where), item_of(f[1], where), static_cast<std::uint32_t>(count(f[2], where))});
  });
  out.stats.pairs_kept = pairs.size();
  m.neighbours = emma::rank_neighbours(n, pairs, item_baskets, options.max_neighbours, out.stats.neighbours);
  m.rebuy_days.assign(n, 0);
  m.rebuy_share.assign(n, 0);
  read_table(dir, "repurchase.csv", {"item", "buyers", "rebuyers", "median_ms"}, [&](const std::vector<std::string>& f, const std::string& where) {
    const auto i = item_of(f[0], where);
    emma::repurchase_figures(static_cast<std::uint32_t>(count(f[1], where)), static_cast<std::uint32_t>(count(f[2], where)),
                             static_cast<std::int64_t>(count(f[3], where)), options.min_rebuy_customers, m.rebuy_days[i], m.rebuy_share[i]);
  });
  read_table(dir, "stats.csv", {"lines", "lines_used", "unknown_items", "baskets", "large_baskets", "customers", "pairs_seen", "pairs_below_k"},
             [&](const std::vector<std::string>& f, const std::string& where) {
               auto& s = out.stats;
               s.lines = count(f[0], where);
               s.lines_used = count(f[1], where);
               s.unknown_items = count(f[2], where);
               s.baskets = count(f[3], where);
               s.large_baskets = count(f[4], where);
               s.customers = count(f[5], where);
               s.pairs_seen = count(f[6], where);
               s.pairs_below_k = count(f[7], where);
             });
  out.options = options;
  return out;
}

}  // namespace emma_tools
