// emma-model: the shop's offline tool. Turns a catalog file and an order log into the bundle
// that every shopper's browser loads. It validates and models with the same core code the
// engine uses (src/core), and reports what it kept and dropped.
#include <sys/resource.h>
#include <sodium.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <algorithm>
#include <fstream>
#include <iterator>
#include <iostream>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/bundle.hpp"
#include "core/content_similarity.hpp"
#include "core/error.hpp"
#include "core/experiment.hpp"
#include "core/json_input.hpp"
#include "core/model_builder.hpp"
#include "core/offers.hpp"
#include "aggregates.hpp"
#include "bundle_diff.hpp"
#include "core/shard_writer.hpp"
#include "catalog_import.hpp"
#include "inputs.hpp"
#include "offers_import.hpp"

namespace {

using emma::json;

int usage() {
  std::cerr <<
      "usage:\n"
      "  emma-model build --orders <file|folder> [--orders ...] [--catalog <file>] [--until YYYY-MM-DD]\n"
      "                   [--k 5] [--neighbours 50] [--max-basket 100] [--max-pairs 4000000] --out <shop.bundle> [--json]\n"
      "                   [--catalog-format F] [--orders-columns customer=C,basket=C,item=C,at=C[,quantity=C]]\n"
      "                   [--max-bad-rows 1%|N]\n"
      "  emma-model build --aggregates <dir> --catalog <file> --out <shop.bundle>   (counts from src/tools/sql/count.mjs)\n"
      "  emma-model export-orders --orders <file|folder> [--orders-columns ...] [--catalog <file>] --out <orders.csv>\n"
      "                   (the lines as read, for a database engine: customer,basket,item,at,quantity,line)\n"
      "  emma-model pack --catalog <file> [--catalog-format F] [--max-bad-rows 1%|N] --out <shop.bundle> [--json]\n"
      "  emma-model check --catalog <file> [--catalog-format F] [--json]   (reads and reports; writes nothing)\n"
      "  emma-model inspect --bundle <shop.bundle> --out <bundle.json>\n"
      "  emma-model shard --bundle <whole.bundle> --out <shop.bundle> [--shard-items 16] [--head-items 500]\n"
      "                   [--head-per-category 12] [--json]   (a head and shards: docs/catalog-size.md)\n"
      "  emma-model diff <old.bundle> <new.bundle> [--json]   (items, pairs, popularity: what changed)\n"
      "build and pack: --similar N content neighbours per item for `similar` (default 8, 0: none)\n"
      "build and pack: --offers <offers.json|offers.csv> adds the shop's promotions (docs/bundle-tool.md)\n"
      "build and pack: --experiment <experiment.json> puts the shop's A/B experiment into META (docs/insights.md)\n"
      "build and pack: --hashed-name writes <name>.<content hash>.bundle beside --out and a manifest\n"
      "<name>.manifest.json naming it (immutable caching); the same input gives the same bytes.\n"
      "Catalog files, recognised from their content (--catalog-format json|jsonl|csv|google|google-tsv|shopify|\n"
      "woocommerce overrides): Emma's .json {\"items\":[...]}, .jsonl (an item per line) or .csv (id,title,url,image,\n"
      "category,brand,tags,price,currency,availability); a Google Merchant feed (RSS 2.0, Atom 1.0 or TSV); Shopify's\n"
      "or WooCommerce's product CSV export. Variants of one product become one item.\n"
      "Orders: Online Retail CSV, JSON Lines {\"customer\",\"basket\",\"item\",\"at\",\"quantity\"}, Shopify's orders\n"
      "export, or any CSV with --orders-columns. Customer identifiers are replaced by a salted hash when read.\n"
      "Without --catalog the items come from the orders.\n"
      "Windows (7d, 30d, 90d, all) end at --until (default: the last order). A co-purchase pair is published\n"
      "only when --k distinct customers bought both in one basket.\n";
  return 2;
}

std::uint64_t bad_catalog_rows = 0;

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

long peak_rss_kb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss;
}

// Progress on a terminal only, at most a few times a second.
class Progress {
 public:
  explicit Progress(bool on) : on_(on && isatty(2)) {}
  void tick(std::uint64_t rows, const char* what) {
    if (!on_ || (rows & 0xFFFF) != 0) return;
    const double s = seconds_since(t0_);
    std::fprintf(stderr, "\remma-model: %s %llu rows (%.0f rows/s)   ", what, static_cast<unsigned long long>(rows), rows / (s > 0 ? s : 1));
  }
  void done() {
    if (on_) std::fprintf(stderr, "\r%60s\r", "");
  }

 private:
  bool on_;
  std::chrono::steady_clock::time_point t0_ = std::chrono::steady_clock::now();
};

bool write_file(const std::string& path, const std::vector<std::uint8_t>& bytes) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    if (!out) return false;
  }
  return std::rename(tmp.c_str(), path.c_str()) == 0;
}

// Writes the bundle. With --hashed-name: as <stem>.<16 hex of BLAKE2b>.bundle beside `out`,
// then <stem>.manifest.json naming it, so that a shop serves bundles with immutable caching
// and only the small manifest (or the page template made from it) changes each night. The
// manifest is replaced last: a reader sees the old bundle or the whole new one.
std::string publish(const std::string& out, const std::vector<std::uint8_t>& bytes, bool hashed, std::size_t items) {
  if (!hashed) {
    if (!write_file(out, bytes)) throw emma::Error(emma::code::bad_request, "cannot write " + out);
    return out;
  }
  unsigned char h[16];
  crypto_generichash(h, sizeof h, bytes.data(), bytes.size(), nullptr, 0);
  static const char* hex = "0123456789abcdef";
  std::string digest;
  for (unsigned char c : h) {
    digest += hex[c >> 4];
    digest += hex[c & 15];
  }
  const std::string dir = out.find('/') == std::string::npos ? "" : out.substr(0, out.rfind('/') + 1);
  std::string stem = out.substr(dir.size());
  if (stem.size() > 7 && stem.compare(stem.size() - 7, 7, ".bundle") == 0) stem.resize(stem.size() - 7);
  const std::string name = stem + "." + digest.substr(0, 16) + ".bundle";
  if (!write_file(dir + name, bytes)) throw emma::Error(emma::code::bad_request, "cannot write " + dir + name);
  const json manifest = {{"bundle", name}, {"bytes", bytes.size()}, {"blake2b_128", digest}, {"items", items},
                         {"format_version", emma::kBundleVersion}};
  const std::string text = manifest.dump(2) + "\n";
  if (!write_file(dir + stem + ".manifest.json", std::vector<std::uint8_t>(text.begin(), text.end()))) {
    throw emma::Error(emma::code::bad_request, "cannot write " + dir + stem + ".manifest.json");
  }
  std::fprintf(stderr, "emma-model: manifest %s%s.manifest.json names %s\n", dir.c_str(), stem.c_str(), name.c_str());
  return dir + name;
}

std::unique_ptr<emma::Bundle> load_bundle(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw emma::Error(emma::code::bad_request, "cannot read " + path);
  std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  try {
    return emma::read_bundle(std::move(bytes));
  } catch (const emma::Error& e) {
    throw emma::Error(e.code(), path + ": " + e.what());
  }
}

// A whole bundle as a head and shards (docs/catalog-size.md): the head at `out`, the shards
// beside it, each named by its content so a CDN caches it for good.
int shard(const std::string& bundle_path, const std::string& out, const emma::ShardOptions& o, bool json_out) {
  const auto whole = load_bundle(bundle_path);
  const std::string dir = out.find('/') == std::string::npos ? "" : out.substr(0, out.rfind('/') + 1);
  std::string stem = out.substr(dir.size());
  if (stem.size() > 7 && stem.compare(stem.size() - 7, 7, ".bundle") == 0) stem.resize(stem.size() - 7);
  const auto sharded = emma::split_bundle(*whole, stem, o);
  std::size_t bytes = 0, largest = 0;
  for (const auto& [name, data] : sharded.shards) {
    if (!write_file(dir + name, data)) throw emma::Error(emma::code::bad_request, "cannot write " + dir + name);
    bytes += data.size();
    largest = std::max(largest, data.size());
  }
  // The head last: until it is replaced, pages use the old head and its (still present) shards.
  if (!write_file(out, sharded.head)) throw emma::Error(emma::code::bad_request, "cannot write " + out);
  const json summary = {{"items", whole->catalog.size()}, {"head_items", sharded.head_items}, {"head_bytes", sharded.head.size()},
                        {"shards", sharded.shards.size()}, {"shard_bytes", bytes}, {"largest_shard_bytes", largest}};
  if (json_out) std::cout << summary.dump() << "\n";
  else std::fprintf(stderr, "emma-model: %s: head of %zu items (%zu bytes), %zu shards (%zu bytes)\n", out.c_str(),
                    sharded.head_items, sharded.head.size(), sharded.shards.size(), bytes);
  return 0;
}

int diff(const std::string& old_path, const std::string& new_path, bool json_out) {
  const auto a = load_bundle(old_path), b = load_bundle(new_path);
  const json d = emma_tools::diff_bundles(*a, *b);
  if (json_out) {
    std::cout << d.dump() << "\n";
    return 0;
  }
  const auto& it = d["items"];
  const auto& ch = it["changed"];
  std::cout << "items: " << it["old"] << " -> " << it["new"] << " (" << it["added"] << " added, " << it["removed"] << " removed; changed: "
            << ch["price"] << " price, " << ch["in_stock"] << " stock, " << ch["title"] << " title, " << ch["category"] << " category)\n";
  if (!it["added_ids"].empty()) std::cout << "  added: " << it["added_ids"].dump() << "\n";
  if (!it["removed_ids"].empty()) std::cout << "  removed: " << it["removed_ids"].dump() << "\n";
  const auto& p = d["pairs"];
  std::cout << "pairs: " << p["old"] << " -> " << p["new"] << " (" << p["added"] << " added, " << p["removed"] << " removed)\n";
  if (!d["popularity"].empty()) {
    const auto& pop = d["popularity"];
    std::cout << "popularity (" << pop["window"].get<std::string>() << ", top " << pop["top"] << "): entered " << pop["entered_top"].dump()
              << ", left " << pop["left_top"].dump() << "\n";
  }
  return 0;
}

struct ImportOptions {
  emma_tools::CatalogFormat catalog_format = emma_tools::CatalogFormat::automatic;
  emma_tools::BadRowLimit max_bad;
  emma_tools::OrderColumns columns;
  bool hashed_name = false;
  std::uint32_t similar = 8;  // content neighbours per item (--similar; 0: none)
  std::string offers;  // --offers: the shop's promotions, into the bundle's OFFR section
  std::string experiment;  // --experiment: the shop's A/B experiment, into META (docs/insights.md)
};

// Content neighbours for `similar` (the SIMS section): progress on a terminal, the cost
// always on stderr and in the JSON summary.
json add_content_neighbours(const std::vector<emma::ItemInput>& items, emma::ModelInput& model, const ImportOptions& io) {
  if (io.similar == 0) return json::object();
  const auto t0 = std::chrono::steady_clock::now();
  emma::ContentOptions o;
  o.per_item = io.similar;
  if (isatty(2)) {
    o.progress = [](std::size_t done, std::size_t total) {
      std::fprintf(stderr, "\remma-model: content neighbours %zu of %zu items   ", done, total);
    };
  }
  model.similar = emma::content_neighbours(items, o);
  if (isatty(2)) std::fprintf(stderr, "\r%60s\r", "");
  std::size_t total = 0, none = 0;
  for (const auto& l : model.similar) {
    total += l.size();
    none += l.empty();
  }
  const double secs = seconds_since(t0);
  std::fprintf(stderr, "emma-model: content neighbours: %zu for %zu items (%zu with none) in %.1f s\n", total, items.size(), none, secs);
  return {{"similar", total}, {"similar_items_without", none}, {"similar_seconds", secs}};
}

// The bundle with the shop's offers when --offers names them.
// META's "experiment": checked here by the engine's own rules (the page checks it again
// against its insights ε, which only the page knows: here any ε below 1000 passes).
json with_experiment(json meta, const ImportOptions& io) {
  if (io.experiment.empty()) return meta;
  std::ifstream in(io.experiment, std::ios::binary);
  if (!in) throw emma::Error(emma::code::bad_request, "--experiment: cannot read " + io.experiment);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const json x = emma::parse_json(text, emma::code::bad_request, io.experiment.c_str());
  emma::Experiment().configure(emma::Fields(x, io.experiment, emma::code::bad_request), 1000);
  meta["experiment"] = x;
  return meta;
}

std::vector<std::uint8_t> offered(std::vector<std::uint8_t> bytes, const ImportOptions& io) {
  if (io.offers.empty()) return bytes;
  const json offers = emma_tools::read_offers_file(io.offers);
  std::fprintf(stderr, "emma-model: %zu offers from %s\n", offers.size(), io.offers.c_str());
  return emma::with_offers(bytes, offers);
}

// Prints the first bad rows and fails the build past --max-bad-rows.
void report_bad_rows(const char* what, const emma_tools::BadRows& bad, std::uint64_t rows, const emma_tools::BadRowLimit& limit) {
  if (bad.count() == 0) return;
  std::fprintf(stderr, "emma-model: %llu bad %s of %llu%s\n", static_cast<unsigned long long>(bad.count()), what,
               static_cast<unsigned long long>(rows), bad.count() > bad.first().size() ? "; the first ones:" : ":");
  for (const auto& m : bad.first()) std::fprintf(stderr, "  %s\n", m.c_str());
  if (limit.exceeded(bad.count(), rows)) {
    throw emma::Error(emma::code::bad_request, std::to_string(bad.count()) + " of " + std::to_string(rows) + " " + what +
                                                   " were bad, more than --max-bad-rows allows (" + limit.describe() +
                                                   "); nothing was written");
  }
}

emma_tools::ImportedCatalog load_catalog(const std::string& path, const ImportOptions& io) {
  emma_tools::BadRows bad;
  auto cat = emma_tools::import_catalog(path, io.catalog_format, bad);
  std::fprintf(stderr, "emma-model: catalog %s read as %s: %llu entries, %zu items", path.c_str(),
               emma_tools::catalog_format_name(cat.format), static_cast<unsigned long long>(cat.counts.rows), cat.items.size());
  if (cat.variants_folded) std::fprintf(stderr, " (%llu variants folded into their products)", static_cast<unsigned long long>(cat.variants_folded));
  if (cat.counts.left_out) std::fprintf(stderr, ", %llu left out (not published)", static_cast<unsigned long long>(cat.counts.left_out));
  if (cat.counts.recoded) std::fprintf(stderr, ", %llu fields read as Windows-1252", static_cast<unsigned long long>(cat.counts.recoded));
  std::fprintf(stderr, "\n");
  report_bad_rows("catalog entries", bad, cat.counts.rows, io.max_bad);
  bad_catalog_rows = bad.count();
  return cat;
}

int build(const std::vector<std::string>& orders, const std::string& catalog_path, const std::string& until_text,
          emma::BuildOptions opt, const std::string& out_path, bool json_summary, const ImportOptions& io) {
  const auto t0 = std::chrono::steady_clock::now();
  const auto files = emma_tools::order_files(orders);
  if (files.empty()) throw emma::Error(emma::code::bad_request, "no order files found");
  if (!until_text.empty() && !emma_tools::parse_time(until_text, opt.until)) {
    throw emma::Error(emma::code::bad_request, "--until \"" + until_text + "\" is not a date (YYYY-MM-DD)");
  }
  const bool from_stdin = std::find(files.begin(), files.end(), "-") != files.end();
  if (from_stdin && (catalog_path.empty() || opt.until == 0)) {
    throw emma::Error(emma::code::bad_request, "orders from standard input are read once: give --catalog and --until too");
  }
  std::vector<emma::ItemInput> items;
  std::unordered_map<std::string, std::string> variant_of;
  emma_tools::OrderReadStats scan;
  Progress progress(!json_summary);
  if (!catalog_path.empty()) {
    auto cat = load_catalog(catalog_path, io);
    items = std::move(cat.items);
    variant_of = std::move(cat.variant_of);
  }
  const emma_tools::CustomerHasher hasher;  // one salt for this build, never written
  emma_tools::OrderReadOptions scan_options{io.columns, &hasher, nullptr};
  if (catalog_path.empty() || opt.until == 0) {
    // A first pass: the items (when no catalog is given) and the end of the log.
    std::unordered_map<std::string, std::size_t> index;
    std::int64_t last = 0;
    for (const auto& f : files) {
      emma_tools::read_orders(f, scan, [&](const emma::OrderLine& l) {
        progress.tick(scan.rows, "scanning");
        if (l.at > last) last = l.at;
      }, catalog_path.empty() ? std::function<void(const std::string&, const std::string&, double, std::int64_t)>(
          [&](const std::string& id, const std::string& title, double price, std::int64_t at) {
            if (opt.until && at >= opt.until) return;  // the catalog as it was then
            auto [it, added] = index.try_emplace(id, items.size());
            if (added) {
              emma::ItemInput in;
              in.id = id;
              in.title = title.empty() ? id : title;
              items.push_back(std::move(in));
            }
            if (price > 0) items[it->second].price = price;  // the latest price
          }) : std::function<void(const std::string&, const std::string&, double, std::int64_t)>(), scan_options);
    }
    if (opt.until == 0) opt.until = last + 1;
    scan = {};
  }
  emma::ModelBuilder builder(items, opt);
  emma_tools::OrderReadStats read;
  emma_tools::BadRows bad_orders;
  const emma_tools::OrderReadOptions read_options{io.columns, &hasher, &bad_orders};
  for (const auto& f : files) {
    emma_tools::read_orders(f, read, [&](const emma::OrderLine& l) {
      progress.tick(read.rows, "reading");
      // Orders name variants (SKUs); the bundle knows their product.
      if (!variant_of.empty()) {
        const auto v = variant_of.find(std::string(l.item));
        if (v != variant_of.end()) {
          emma::OrderLine mapped = l;
          mapped.item = v->second;
          builder.add(mapped);
          return;
        }
      }
      builder.add(l);
    }, {}, read_options);
  }
  progress.done();
  report_bad_rows("order rows", bad_orders, read.rows, io.max_bad);
  emma::ModelInput model = builder.finish();
  const json content = add_content_neighbours(items, model, io);
  const auto& st = builder.stats();
  json meta = {{"tool", "emma-model"}, {"k", opt.k}, {"until_ms", opt.until}, {"max_neighbours", opt.max_neighbours},
               {"max_basket", opt.max_basket}, {"similar", io.similar}, {"stats", st.to_json()}};
  const auto bytes = offered(emma::write_bundle(items, model, with_experiment(meta, io)), io);
  const std::string written = publish(out_path, bytes, io.hashed_name, items.size());
  const double secs = seconds_since(t0);
  json summary = {{"items", items.size()}, {"rows", read.rows}, {"rows_used", st.lines_used}, {"baskets", st.baskets},
                  {"customers", st.customers}, {"pairs_seen", st.pairs_seen}, {"pairs_kept", st.pairs_kept},
                  {"pairs_dropped_below_k", st.pairs_below_k}, {"pairs_pruned", st.pairs_pruned},
                  {"neighbours", st.neighbours}, {"bytes", bytes.size()}, {"seconds", secs},
                  {"rows_per_second", secs > 0 ? static_cast<double>(read.rows) / secs : 0}, {"peak_rss_kb", peak_rss_kb()},
                  {"bad_order_rows", bad_orders.count()}, {"bad_order_rows_shown", bad_orders.first()},
                  {"bad_catalog_rows", bad_catalog_rows}, {"out", written}};
  summary.update(content);
  std::fprintf(stderr,
               "emma-model: %zu items, %llu rows (%llu used) in %llu baskets of %llu customers\n"
               "emma-model: pairs: %llu seen, %llu kept (>= %u customers), %llu dropped below k, %llu pruned; %llu neighbours\n"
               "emma-model: %zu bytes written to %s in %.1f s (%.0f rows/s), peak memory %.1f MB\n",
               items.size(), static_cast<unsigned long long>(read.rows), static_cast<unsigned long long>(st.lines_used),
               static_cast<unsigned long long>(st.baskets), static_cast<unsigned long long>(st.customers),
               static_cast<unsigned long long>(st.pairs_seen), static_cast<unsigned long long>(st.pairs_kept), opt.k,
               static_cast<unsigned long long>(st.pairs_below_k), static_cast<unsigned long long>(st.pairs_pruned),
               static_cast<unsigned long long>(st.neighbours), bytes.size(), written.c_str(), secs,
               secs > 0 ? read.rows / secs : 0.0, peak_rss_kb() / 1024.0);
  if (json_summary) std::cout << summary.dump() << "\n";
  return 0;
}

// Reads a catalog as `pack` would and reports what it found, writing nothing: a feed check
// for a shop's CI, and the importer's memory measured alone.
int check(const std::string& catalog_path, const ImportOptions& io, bool json_summary) {
  const auto t0 = std::chrono::steady_clock::now();
  emma_tools::BadRows bad;
  const auto cat = emma_tools::import_catalog(catalog_path, io.catalog_format, bad, false);
  const json summary = {{"format", emma_tools::catalog_format_name(cat.format)}, {"entries", cat.counts.rows},
                        {"items", cat.item_count}, {"variants_folded", cat.variants_folded},
                        {"left_out", cat.counts.left_out}, {"recoded_fields", cat.counts.recoded},
                        {"bad_rows", bad.count()}, {"bad_rows_shown", bad.first()}, {"seconds", seconds_since(t0)},
                        {"peak_rss_kb", peak_rss_kb()}};
  std::fprintf(stderr, "emma-model: %s read as %s: %llu entries, %zu items (%llu variants folded), %llu bad, peak memory %.1f MB\n",
               catalog_path.c_str(), emma_tools::catalog_format_name(cat.format), static_cast<unsigned long long>(cat.counts.rows),
               cat.item_count, static_cast<unsigned long long>(cat.variants_folded), static_cast<unsigned long long>(bad.count()),
               peak_rss_kb() / 1024.0);
  for (const auto& m : bad.first()) std::fprintf(stderr, "  %s\n", m.c_str());
  if (json_summary) std::cout << summary.dump() << "\n";
  return io.max_bad.exceeded(bad.count(), cat.counts.rows) ? 1 : 0;
}

// The order lines as emma-model reads them (every format, filters applied, customers hashed
// or as given), as one canonical CSV for a database engine: customer,basket,item,at,quantity,line.
// `line` is the position in the log, which the SQL uses where the native counter relies on order.
int export_orders(const std::vector<std::string>& orders, const std::string& catalog_path, const std::string& out_path,
                  const ImportOptions& io) {
  const auto files = emma_tools::order_files(orders);
  // With the catalog, variant SKUs are written as their product's id (as `build` counts them).
  std::unordered_map<std::string, std::string> variant_of;
  if (!catalog_path.empty()) variant_of = load_catalog(catalog_path, io).variant_of;
  const emma_tools::CustomerHasher hasher;
  emma_tools::BadRows bad;
  emma_tools::OrderReadStats read;
  const std::string tmp = out_path + ".tmp";
  std::FILE* out = std::fopen(tmp.c_str(), "wb");
  if (!out) throw emma::Error(emma::code::bad_request, "cannot write " + out_path);
  std::fputs("customer,basket,item,at,quantity,line\n", out);
  std::uint64_t line = 0;
  auto field = [&](std::string_view v) {
    if (v.find_first_of(",\"\r\n") == std::string_view::npos) {
      std::fwrite(v.data(), 1, v.size(), out);
      return;
    }
    std::fputc('"', out);
    for (char ch : v) {
      if (ch == '"') std::fputc('"', out);
      std::fputc(ch, out);
    }
    std::fputc('"', out);
  };
  const emma_tools::OrderReadOptions options{io.columns, &hasher, &bad};
  for (const auto& f : files) {
    emma_tools::read_orders(f, read, [&](const emma::OrderLine& l) {
      field(l.customer);
      std::fputc(',', out);
      field(l.basket);
      std::fputc(',', out);
      const auto v = variant_of.empty() ? variant_of.end() : variant_of.find(std::string(l.item));
      field(v == variant_of.end() ? l.item : std::string_view(v->second));
      std::fprintf(out, ",%lld,%.17g,%llu\n", static_cast<long long>(l.at), l.quantity, static_cast<unsigned long long>(++line));
    }, {}, options);
  }
  const bool ok = std::fclose(out) == 0;
  report_bad_rows("order rows", bad, read.rows, io.max_bad);
  if (!ok || std::rename(tmp.c_str(), out_path.c_str()) != 0) throw emma::Error(emma::code::bad_request, "cannot write " + out_path);
  std::fprintf(stderr, "emma-model: %llu order lines written to %s\n", static_cast<unsigned long long>(line), out_path.c_str());
  return 0;
}

// A bundle from statistics a database engine counted (src/sql/, src/tools/sql/count.mjs).
int build_from_aggregates(const std::string& dir, const std::string& catalog_path, emma::BuildOptions opt,
                          const std::string& out_path, bool json_summary, const ImportOptions& io) {
  if (catalog_path.empty()) throw emma::Error(emma::code::bad_request, "--aggregates needs --catalog (the items the counts refer to)");
  const auto items = load_catalog(catalog_path, io).items;
  auto agg = emma_tools::read_aggregates(dir, items, opt);
  add_content_neighbours(items, agg.model, io);
  const auto& o = agg.options;
  const json meta = {{"tool", "emma-model"}, {"k", o.k}, {"until_ms", o.until}, {"max_neighbours", o.max_neighbours},
                     {"max_basket", o.max_basket}, {"similar", io.similar}, {"stats", agg.stats.to_json()}};
  const auto bytes = offered(emma::write_bundle(items, agg.model, with_experiment(meta, io)), io);
  const std::string written = publish(out_path, bytes, io.hashed_name, items.size());
  std::fprintf(stderr, "emma-model: %zu items, counts from %s (%llu baskets, %llu pairs kept), %zu bytes written to %s\n", items.size(),
               agg.engine.c_str(), static_cast<unsigned long long>(agg.stats.baskets), static_cast<unsigned long long>(agg.stats.pairs_kept),
               bytes.size(), written.c_str());
  if (json_summary) std::cout << json{{"items", items.size()}, {"engine", agg.engine}, {"bytes", bytes.size()}, {"out", written}}.dump() << "\n";
  return 0;
}

// The bundle as one JSON document (for shops inspecting what they publish, and for the
// benchmark's JSON.parse comparison): items, popularity windows, neighbours, content neighbours.
int inspect(const std::string& bundle_path, const std::string& out_path) {
  std::ifstream in(bundle_path, std::ios::binary);
  if (!in) throw emma::Error(emma::code::bad_request, "cannot read " + bundle_path);
  std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto b = emma::read_bundle(std::move(bytes));
  json items = json::array();
  for (const auto& it : b->catalog.items()) items.push_back(b->catalog.item_json(it));
  json windows = json::object();
  for (std::size_t w = 0; w < b->model.windows.size(); ++w) windows[b->model.windows[w].name] = b->model.popularity[w];
  json neighbours = json::array();
  for (std::uint32_t i = 0; i < b->catalog.size(); ++i) {
    json list = json::array();
    auto [nb, ne] = b->model.neighbours_of(i);
    for (auto x = nb; x != ne; ++x) list.push_back({x->item, x->score});
    neighbours.push_back(std::move(list));
  }
  json similar = json::array();
  for (std::uint32_t i = 0; i < b->catalog.size() && !b->model.similar.empty(); ++i) {
    json list = json::array();
    auto [sb, se] = b->model.similar_of(i);
    for (auto x = sb; x != se; ++x) list.push_back({x->item, x->score});
    similar.push_back(std::move(list));
  }
  const json doc = {{"meta", b->meta}, {"items", items}, {"popularity", windows}, {"neighbours", neighbours}, {"similar", similar}};
  std::ofstream out(out_path, std::ios::binary | std::ios::trunc);
  out << doc.dump();
  if (!out) throw emma::Error(emma::code::bad_request, "cannot write " + out_path);
  std::fprintf(stderr, "emma-model: %zu items written as JSON to %s\n", b->catalog.size(), out_path.c_str());
  return 0;
}

int pack(const std::string& catalog_path, const std::string& out_path, const ImportOptions& io) {
  const auto items = load_catalog(catalog_path, io).items;
  emma::ModelInput model;
  model.windows.push_back({"catalog", 0});
  model.popularity.emplace_back();
  for (const auto& it : items) model.popularity.back().push_back(static_cast<float>(it.popularity));
  add_content_neighbours(items, model, io);
  const auto bytes = offered(emma::write_bundle(items, model, with_experiment(json{{"tool", "emma-model pack"}, {"similar", io.similar}}, io)), io);
  const std::string written = publish(out_path, bytes, io.hashed_name, items.size());
  std::fprintf(stderr, "emma-model: %zu items, %zu bytes written to %s\n", items.size(), bytes.size(), written.c_str());
  return 0;
}

std::uint32_t number(const char* flag, const char* text, std::uint32_t lo, std::uint32_t hi) {
  char* end = nullptr;
  const unsigned long v = std::strtoul(text, &end, 10);
  if (*text == '\0' || *end != '\0' || v < lo || v > hi) {
    throw emma::Error(emma::code::bad_request, std::string(flag) + " takes a whole number from " + std::to_string(lo) + " to " + std::to_string(hi));
  }
  return static_cast<std::uint32_t>(v);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return usage();
  const std::string cmd = argv[1];
  std::vector<std::string> orders;
  std::string catalog, out, until;
  bool json_summary = false;
  emma::BuildOptions opt;
  ImportOptions io;
  std::vector<std::string> positional;
  std::string aggregates;
  emma::ShardOptions so;
  try {
    for (int i = 2; i < argc; ++i) {
      const std::string a = argv[i];
      auto value = [&]() -> const char* {
        if (i + 1 >= argc) throw emma::Error(emma::code::bad_request, a + " needs a value");
        return argv[++i];
      };
      if (a == "--orders") orders.push_back(value());
      else if (a == "--catalog") catalog = value();
      else if (a == "--bundle") catalog = value();  // inspect: the bundle to read
      else if (a == "--out") out = value();
      else if (a == "--until") until = value();
      else if (a == "--k") opt.k = number("--k", value(), 1, 8);
      else if (a == "--neighbours") opt.max_neighbours = number("--neighbours", value(), 0, 1000);
      else if (a == "--max-basket") opt.max_basket = number("--max-basket", value(), 2, 100000);
      else if (a == "--max-pairs") opt.max_pairs = number("--max-pairs", value(), 1000, 1'000'000'000);
      else if (a == "--json") json_summary = true;
      else if (a == "--catalog-format") io.catalog_format = emma_tools::catalog_format_named(value());
      else if (a == "--orders-columns") io.columns = emma_tools::OrderColumns::parse(value());
      else if (a == "--max-bad-rows") io.max_bad = emma_tools::BadRowLimit::parse(value());
      else if (a == "--hashed-name") io.hashed_name = true;
      else if (a == "--aggregates") aggregates = value();
      else if (a == "--similar") io.similar = number("--similar", value(), 0, 100);
      else if (a == "--offers") io.offers = value();
      else if (a == "--shard-items") so.shard_items = number("--shard-items", value(), 1, 10'000'000);
      else if (a == "--head-items") so.head_items = number("--head-items", value(), 0, 10'000'000);
      else if (a == "--head-per-category") so.head_per_category = number("--head-per-category", value(), 1, 10'000);
      else if (a == "--experiment") io.experiment = value();
      else if (cmd == "diff" && a.rfind("--", 0) != 0) positional.push_back(a);
      else return usage();
    }
    if (cmd == "check" && !catalog.empty()) return check(catalog, io, json_summary);
    if (cmd == "diff" && positional.size() == 2) return diff(positional[0], positional[1], json_summary);
    if (out.empty()) return usage();
    if (cmd == "export-orders" && !orders.empty()) return export_orders(orders, catalog, out, io);
    if (cmd == "build" && !aggregates.empty() && orders.empty()) return build_from_aggregates(aggregates, catalog, opt, out, json_summary, io);
    if (cmd == "build" && !orders.empty()) return build(orders, catalog, until, opt, out, json_summary, io);
    if (cmd == "pack" && !catalog.empty()) return pack(catalog, out, io);
    if (cmd == "inspect" && !catalog.empty()) return inspect(catalog, out);
    if (cmd == "shard" && !catalog.empty()) return shard(catalog, out, so, json_summary);
    return usage();
  } catch (const emma::Error& e) {
    std::cerr << "emma-model: " << e.code() << ": " << e.what() << "\n";
    return 1;
  }
}
