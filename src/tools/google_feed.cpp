// Google Merchant Center product feeds: RSS 2.0 and Atom 1.0 with the g: namespace (read with
// expat, streaming: memory holds one item at a time, never the document) and the
// tab-separated form. Mapping (docs/bundle-tool.md "Product feeds"): id, title, link -> url, image_link ->
// image, product_type (else google_product_category) -> category, brand, price/sale_price ->
// price + currency, availability -> in_stock, item_group_id -> variants, custom_label_0..4 -> tags.
#include <expat.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstring>
#include <unordered_map>

#include "catalog_import.hpp"
#include "core/error.hpp"

namespace emma_tools {
namespace {

using emma::json;

constexpr const char* kGoogleNs = "http://base.google.com/ns/1.0";
constexpr const char* kAtomNs = "http://www.w3.org/2005/Atom";

// The attributes emma-model maps; the rest of an item (descriptions, shipping) is not kept.
constexpr std::array<const char*, 16> kKept = {
    "id", "title", "link", "image_link", "product_type", "google_product_category", "brand", "price", "sale_price",
    "availability", "item_group_id", "custom_label_0", "custom_label_1", "custom_label_2", "custom_label_3",
    "custom_label_4"};

bool kept(const std::string& name) {
  for (const char* k : kKept) {
    if (name == k) return true;
  }
  return false;
}

using FieldMap = std::unordered_map<std::string, std::string>;

// One feed entry -> an item. `prefix` is how the feed spells attribute names ("g:" in XML),
// so that a report names the field as the shop wrote it.
void google_item(const FieldMap& fields, const char* prefix, const std::string& file, std::uint64_t line, BadRows& bad,
                 const FeedSink& sink) {
  auto get = [&](const char* k) -> std::string {
    const auto it = fields.find(k);
    return it == fields.end() ? "" : trim(it->second);
  };
  const std::string P = prefix;
  const std::string id = get("id");
  if (id.empty()) {
    bad.add_plain(file, line, P + "id", "is missing (every item needs one)");
    return;
  }
  json obj = json::object();
  obj["id"] = id;
  json attrs = json::object();
  for (const char* k : {"title", "brand"}) {
    if (!get(k).empty()) obj[k] = get(k);
  }
  if (!get("link").empty()) obj["url"] = get("link");
  if (!get("image_link").empty()) obj["image"] = get("image_link");
  std::string category = get("product_type");
  const std::string gpc = get("google_product_category");
  if (category.empty() && !gpc.empty()) {
    // Google's taxonomy may be given as its numeric id, which is no path a shopper reads.
    if (gpc.find_first_not_of("0123456789") == std::string::npos) attrs["google_product_category"] = gpc;
    else category = gpc;
  }
  if (!category.empty()) obj["category"] = category;
  double price = -1, sale = -1;
  std::string currency, sale_currency;
  if (!get("price").empty() && !parse_amount(get("price"), price, currency)) {
    bad.add(file, line, P + "price", get("price"), "not an amount (\"12.99 EUR\")");
    return;
  }
  if (!get("sale_price").empty() && !parse_amount(get("sale_price"), sale, sale_currency)) {
    bad.add(file, line, P + "sale_price", get("sale_price"), "not an amount (\"9.99 EUR\")");
    return;
  }
  if (sale >= 0) {
    // The price a shopper pays now; the regular one stays for a struck-through display.
    if (price >= 0) attrs["list_price"] = price;
    price = sale;
    if (!sale_currency.empty()) currency = sale_currency;
  }
  if (price >= 0) obj["price"] = price;
  if (!currency.empty()) obj["currency"] = currency;
  std::string avail = lower(get("availability"));
  for (auto& ch : avail) {
    if (ch == ' ') ch = '_';
  }
  if (avail == "in_stock" || avail == "limited_availability") {
    obj["in_stock"] = true;
  } else if (avail == "out_of_stock") {
    obj["in_stock"] = false;
  } else if (avail == "preorder" || avail == "backorder") {
    // Orderable now, shipped later: recommendable, and the page can tell (attribute rules).
    obj["in_stock"] = true;
    attrs["availability"] = avail;
  } else if (!avail.empty()) {
    bad.add(file, line, P + "availability", get("availability"), "not in_stock, out_of_stock, preorder or backorder");
    return;
  }
  json tags = json::array();
  for (const char* k : {"custom_label_0", "custom_label_1", "custom_label_2", "custom_label_3", "custom_label_4"}) {
    if (!get(k).empty()) tags.push_back(get(k));
  }
  if (!tags.empty()) obj["tags"] = tags;
  if (!attrs.empty()) obj["attributes"] = attrs;
  emit_item(obj, get("item_group_id"), file, line, bad, sink);
}

// The streaming XML reader: one item's kept fields at a time.
class FeedParser {
 public:
  FeedParser(const std::string& file, ImportCounts& counts, BadRows& bad, const FeedSink& sink)
      : file_(file), counts_(counts), bad_(bad), sink_(sink), p_(XML_ParserCreateNS(nullptr, '|')) {
    if (!p_) throw emma::Error(emma::code::internal, "expat could not start");
    XML_SetUserData(p_, this);
    XML_SetElementHandler(p_, &FeedParser::start, &FeedParser::end);
    XML_SetCharacterDataHandler(p_, &FeedParser::text);
    XML_SetUnknownEncodingHandler(p_, &FeedParser::encoding, nullptr);
    // No external entities are ever fetched (expat does not by default); internal entity
    // expansion is bounded by expat's billion-laughs protection (2.4+).
  }
  ~FeedParser() { XML_ParserFree(p_); }

  void feed(std::istream& in) {
    std::array<char, 1 << 16> buf;
    for (;;) {
      in.read(buf.data(), buf.size());
      const auto n = static_cast<int>(in.gcount());
      const bool last = n < static_cast<int>(buf.size());
      if (XML_Parse(p_, buf.data(), n, last) == XML_STATUS_ERROR) {
        throw emma::Error(emma::code::bad_bundle,
                          file_ + ":" + std::to_string(XML_GetCurrentLineNumber(p_)) + ": the feed is not well-formed XML (" +
                              XML_ErrorString(XML_GetErrorCode(p_)) + "); nothing after this point can be read");
      }
      if (last) break;
    }
    if (!saw_root_) throw emma::Error(emma::code::bad_bundle, file_ + ": no RSS or Atom product feed in this XML");
  }

 private:
  static std::string local(const XML_Char* name, std::string* ns) {
    const char* bar = std::strchr(name, '|');
    if (!bar) {
      ns->clear();
      return name;
    }
    ns->assign(name, static_cast<std::size_t>(bar - name));
    return bar + 1;
  }

  static void XMLCALL start(void* self_, const XML_Char* name, const XML_Char** atts) {
    auto* self = static_cast<FeedParser*>(self_);
    std::string ns;
    const std::string l = local(name, &ns);
    ++self->depth_;
    if (self->depth_ == 1 && ((l == "rss" && ns.empty()) || (l == "feed" && ns == kAtomNs))) self->saw_root_ = true;
    if (self->item_depth_ == 0) {
      if ((l == "item" && ns.empty()) || (l == "entry" && ns == kAtomNs)) {
        self->item_depth_ = self->depth_;
        self->line_ = XML_GetCurrentLineNumber(self->p_);
        self->fields_.clear();
      }
      return;
    }
    if (self->depth_ != self->item_depth_ + 1) return;  // nested (g:shipping's g:price is not the price)
    if (ns == kGoogleNs || ns.empty() || ns == kAtomNs) {
      if (l == "link" && ns == kAtomNs) {
        // Atom: <link href="..."/>, the alternate (page) link.
        std::string href, rel;
        for (int i = 0; atts[i]; i += 2) {
          if (std::strcmp(atts[i], "href") == 0) href = atts[i + 1];
          if (std::strcmp(atts[i], "rel") == 0) rel = atts[i + 1];
        }
        if ((rel.empty() || rel == "alternate") && !self->fields_.count("link")) self->fields_["link"] = href;
        return;
      }
      if (ns.empty() && l != "title" && l != "link") return;
      if (kept(l) && !self->fields_.count(l)) {
        self->field_ = l;
        self->collecting_ = true;
        self->fields_[l];
      }
    }
  }

  static void XMLCALL end(void* self_, const XML_Char*) {
    auto* self = static_cast<FeedParser*>(self_);
    if (self->item_depth_ && self->depth_ == self->item_depth_ + 1) self->collecting_ = false;
    if (self->item_depth_ && self->depth_ == self->item_depth_) {
      self->item_depth_ = 0;
      ++self->counts_.rows;
      google_item(self->fields_, "g:", self->file_, self->line_, self->bad_, self->sink_);
    }
    --self->depth_;
  }

  static void XMLCALL text(void* self_, const XML_Char* s, int len) {
    auto* self = static_cast<FeedParser*>(self_);
    if (!self->collecting_) return;
    auto& v = self->fields_[self->field_];
    // A field longer than any limit is refused by validation anyway; keep memory bounded.
    if (v.size() < (1u << 16)) v.append(s, static_cast<std::size_t>(len));
  }

  // Windows-1252, which feeds exported from older shop systems declare.
  static int XMLCALL encoding(void*, const XML_Char* name, XML_Encoding* info) {
    const std::string n = lower(name);
    if (n != "windows-1252" && n != "cp1252") return XML_STATUS_ERROR;
    for (int i = 0; i < 256; ++i) info->map[i] = static_cast<int>(cp1252(static_cast<unsigned char>(i)));
    info->data = nullptr;
    info->convert = nullptr;
    info->release = nullptr;
    return XML_STATUS_OK;
  }

  std::string file_;
  ImportCounts& counts_;
  BadRows& bad_;
  const FeedSink& sink_;
  XML_Parser p_;
  int depth_ = 0, item_depth_ = 0;
  bool collecting_ = false, saw_root_ = false;
  std::uint64_t line_ = 0;
  std::string field_;
  FieldMap fields_;
};

}  // namespace

void read_google_xml(std::istream& in, const std::string& file, ImportCounts& counts, BadRows& bad, const FeedSink& sink) {
  FeedParser parser(file, counts, bad, sink);
  parser.feed(in);
}

void read_google_tsv(std::istream& in, const std::string& file, ImportCounts& counts, BadRows& bad, const FeedSink& sink) {
  CsvReader csv(in, '\t');
  std::vector<std::string> header, row;
  if (!csv.next(header)) throw emma::Error(emma::code::bad_bundle, file + " is empty");
  for (auto& h : header) {
    h = lower(trim(h));
    if (h.rfind("g:", 0) == 0) h.erase(0, 2);
  }
  if (std::find(header.begin(), header.end(), "id") == header.end()) {
    throw emma::Error(emma::code::bad_bundle, file + ": the header has no \"id\" column (a Google feed's TSV form)");
  }
  FieldMap fields;
  while (csv.next(row)) {
    if (row.size() == 1 && trim(row[0]).empty()) continue;
    ++counts.rows;
    if (row.size() != header.size()) {
      bad.add(file, csv.first_line(), "row", std::to_string(row.size()) + " fields",
              "expected " + std::to_string(header.size()) + " (tab-separated, as the header)");
      continue;
    }
    fields.clear();
    for (std::size_t c = 0; c < header.size(); ++c) {
      if (!kept(header[c])) continue;
      if (to_utf8(row[c])) ++counts.recoded;
      fields.emplace(header[c], std::move(row[c]));
    }
    google_item(fields, "", file, csv.first_line(), bad, sink);
  }
}

}  // namespace emma_tools
