#include "bundle.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <unordered_map>

#include <sodium.h>

#include "bytes.hpp"
#include "error.hpp"
#include "json_build.hpp"
#include "offers.hpp"

namespace emma {
namespace {

constexpr char kMagic[8] = {'E', 'M', 'M', 'A', 'B', 'N', 'D', 'L'};
constexpr std::size_t kHeader = 32;
constexpr std::size_t kChecksum = 16;
constexpr std::uint8_t kInStock = 1;

void checksum(const std::uint8_t* data, std::size_t size, std::uint8_t out[kChecksum]) {
  crypto_generichash(out, kChecksum, data, size, nullptr, 0);
}

// Deduplicating string table; index 0 is the empty string.
class StringTable {
 public:
  StringTable() { add(""); }
  std::uint32_t add(const std::string& s) {
    auto [it, added] = index_.try_emplace(s, static_cast<std::uint32_t>(strings_.size()));
    if (added) strings_.push_back(&it->first);
    return it->second;
  }
  std::string section() const {
    ByteWriter w;
    w.u32(static_cast<std::uint32_t>(strings_.size()));
    for (const auto* s : strings_) w.varint(static_cast<std::uint32_t>(s->size()));
    for (const auto* s : strings_) w.bytes(*s);
    return w.take();
  }

 private:
  std::unordered_map<std::string, std::uint32_t> index_;
  std::vector<const std::string*> strings_;
};

// Scores and figures that are not whole numbers travel as a float's top 20 bits (sign,
// exponent, 12 of 23 mantissa bits; relative error below 1.3e-4, order kept, 0 and powers of
// two exact): as varints of deltas they compress where raw f32 do not. Bit shifts, not log or
// exp, so the native tools and the wasm engine read the same floats.
constexpr int kDropped = 11;
constexpr std::uint32_t kOne = 0x3F800000u >> kDropped;  // the code of 1.0f
std::uint32_t quantise(float v) {
  std::uint32_t b;
  std::memcpy(&b, &v, 4);
  return (b + (1u << (kDropped - 1))) >> kDropped;
}
float unquantise(const ByteReader& r, std::uint32_t code) {
  // Below the code of +infinity: finite and not negative (the sign bit would be above it).
  if (code >= (0x7F800000u >> kDropped)) r.fail("a figure is negative or not a number");
  const std::uint32_t b = code << kDropped;
  float v;
  std::memcpy(&v, &b, 4);
  return v;
}

// One figure per item: mode 0 when every one is a whole number (counts: exact varints),
// else mode 1, quantised codes.
void number_column(ByteWriter& w, const std::vector<float>& values) {
  const bool whole = std::all_of(values.begin(), values.end(), [](float v) { return v >= 0 && v < 4e9f && v == std::floor(v); });
  w.u8(whole ? 0 : 1);
  for (float v : values) w.varint(whole ? static_cast<std::uint32_t>(v) : quantise(v));
}

// NBRS: see BundleReader::neighbours.
std::string neighbour_section(const std::vector<std::vector<Neighbour>>& lists) {
  ByteWriter w;
  w.u32(static_cast<std::uint32_t>(lists.size()));
  for (const auto& list : lists) w.varint(static_cast<std::uint32_t>(list.size()));
  for (std::size_t i = 0; i < lists.size(); ++i) {
    std::int64_t prev = static_cast<std::int64_t>(i);
    for (const auto& x : lists[i]) {
      w.svarint(static_cast<std::int64_t>(x.item) - prev);
      prev = x.item;
    }
  }
  std::int64_t prev = kOne;
  for (const auto& list : lists) {
    for (const auto& x : list) {
      const std::int64_t code = quantise(x.score);
      w.svarint(code - prev);
      prev = code;
    }
  }
  return w.take();
}

std::uint8_t score_byte(float score) { return static_cast<std::uint8_t>(std::lround(std::clamp(score, 1.f / 255, 1.f) * 255)); }
bool by_item(const Neighbour& a, const Neighbour& b) { return a.item != b.item ? a.item < b.item : a.score < b.score; }
// A list by_item, sorted as 64-bit keys (item, then the score's bits made to order
// as the floats do, the top bit flipped so that signed order is unsigned order): the engine of a
// sharded catalog writes pieces with this, and a sort of 64-bit numbers is code it has anyway.
void sort_by_item(std::vector<Neighbour>& list) {
  std::vector<std::int64_t> keys;
  for (const auto& x : list) {
    std::uint32_t b;
    std::memcpy(&b, &x.score, 4);
    b = b >> 31 ? ~b : b | 0x80000000u;
    keys.push_back(static_cast<std::int64_t>((std::uint64_t{x.item} << 32 | b) ^ (std::uint64_t{1} << 63)));
  }
  std::sort(keys.begin(), keys.end());
  for (std::size_t k = 0; k < list.size(); ++k) {
    const auto key = static_cast<std::uint64_t>(keys[k]) ^ (std::uint64_t{1} << 63);
    std::uint32_t b = static_cast<std::uint32_t>(key);
    b = b >> 31 ? b & 0x7FFFFFFFu : ~b;
    list[k].item = static_cast<std::uint32_t>(key >> 32);
    std::memcpy(&list[k].score, &b, 4);
  }
}
// SIMS (format 3), as BundleReader::similar reads it. `group`: each item's leaf category + 1
// (0: none). Content neighbours are mostly items of the anchor's own leaf, and often list the
// anchor back (cosine is symmetric): such a neighbour costs one bit, the others a small
// position within the leaf (src/tools/bench/RESULTS.md, "Bundle format 3").
std::string similar_section(std::vector<std::vector<Neighbour>> lists, const std::vector<std::uint32_t>& group,
                            std::size_t groups) {
  const auto n = static_cast<std::uint32_t>(lists.size());
  std::vector<std::uint32_t> pos(n), seen(groups, 0);
  for (std::uint32_t i = 0; i < n; ++i) pos[i] = seen[group[i]]++;
  // Per item, the earlier items whose lists name it, with that score byte (the reader's
  // linked list: read latest first).
  std::vector<std::vector<std::pair<std::uint32_t, std::uint8_t>>> named_by(n);
  ByteWriter lengths, bits, codes, scores;
  std::uint32_t byte = 0, used = 0;
  auto bit = [&](bool b) {
    byte |= (b ? 1u : 0u) << used;
    if (++used == 8) bits.u8(static_cast<std::uint8_t>(byte)), byte = used = 0;
  };
  for (std::uint32_t i = 0; i < n; ++i) {
    auto& list = lists[i];
    sort_by_item(list);
    lengths.varint(static_cast<std::uint32_t>(list.size()));
    std::vector<bool> told(list.size());
    for (auto it = named_by[i].rbegin(); it != named_by[i].rend(); ++it) {
      std::size_t k = 0;
      while (k < list.size() && (told[k] || list[k].item != it->first || score_byte(list[k].score) != it->second)) ++k;
      bit(k < list.size());
      if (k < list.size()) told[k] = true;
    }
    std::int64_t prev_local = pos[i], prev = i;
    for (std::size_t k = 0; k < list.size(); ++k) {
      const std::uint32_t j = list[k].item;
      if (j > i && j < n) named_by[j].emplace_back(i, score_byte(list[k].score));
      if (told[k]) continue;
      const bool local = j < n && group[j] == group[i];
      bit(!local);
      std::int64_t& from = local ? prev_local : prev;
      const std::int64_t to = local ? pos[j] : j;
      codes.svarint(to - from);
      from = to;
      scores.u8(score_byte(list[k].score));
    }
  }
  if (used) bits.u8(static_cast<std::uint8_t>(byte));
  ByteWriter w;
  w.u32(n);
  const std::string m = bits.take(), sc = scores.take();
  w.bytes(lengths.take());
  w.varint(static_cast<std::uint32_t>(m.size()));
  w.varint(static_cast<std::uint32_t>(sc.size()));
  w.bytes(m);
  w.bytes(sc);
  w.bytes(codes.take());
  return w.take();
}

}  // namespace

std::vector<std::uint8_t> write_container(const std::vector<std::pair<std::string, std::string>>& sections) {
  ByteWriter w;
  w.bytes(std::string_view(kMagic, 8));
  w.u16(kBundleVersion);
  w.u16(0);
  w.u32(static_cast<std::uint32_t>(sections.size()));
  for (std::size_t i = 0; i < kChecksum; ++i) w.u8(0);
  for (const auto& [tag, payload] : sections) {
    if (tag.size() != 4) throw Error(code::internal, "bundle section tags are 4 characters");
    if (payload.size() > 0xFFFFFFFFu) throw Error(code::bad_bundle, "section " + tag + " is over 4 GiB");
    w.bytes(tag);
    w.u32(static_cast<std::uint32_t>(payload.size()));
    w.bytes(payload);
  }
  const std::string s = w.take();
  std::vector<std::uint8_t> out(s.begin(), s.end());
  checksum(out.data() + kHeader, out.size() - kHeader, out.data() + 16);
  return out;
}

std::vector<BundleSection> read_container(const std::uint8_t* data, std::size_t size) {
  if (size == 0 || data == nullptr) throw Error(code::bad_bundle, "the bundle is empty (0 bytes)");
  if (size < kHeader || std::memcmp(data, kMagic, 8) != 0) {
    // The classic failure: a server answered the bundle URL with an HTML page.
    const bool text = data[0] == '<' || data[0] == '{' || data[0] == 0xEF;
    throw Error(code::bad_bundle,
                std::string("not a Tante Emma bundle: the first bytes are not \"EMMABNDL\"") +
                    (text ? " (it looks like an HTML, JSON or text page; check the bundle URL)" : "") +
                    (size < kHeader ? "; it is only " + std::to_string(size) + " bytes long" : ""));
  }
  const std::uint16_t version = static_cast<std::uint16_t>(data[8] | (data[9] << 8));
  if (version > kBundleVersion) {
    throw Error(code::unsupported, "bundle format version " + std::to_string(version) +
                                       " is newer than this engine reads (" + std::to_string(kBundleVersion) +
                                       "); update tante-emma");
  }
  if (version == 0) throw Error(code::bad_bundle, "bundle format version 0 at byte 8 is invalid");
  if (version < kBundleVersion) {
    throw Error(code::unsupported, "bundle format version " + std::to_string(version) +
                                       " is no longer read by this engine (it reads version " +
                                       std::to_string(kBundleVersion) + "): rebuild the bundle with emma-model");
  }
  if (data[10] | data[11]) {
    throw Error(code::bad_bundle, "bundle header bytes 10-11 (reserved flags) are not 0: the file is damaged");
  }
  std::uint8_t sum[kChecksum];
  checksum(data + kHeader, size - kHeader, sum);
  if (std::memcmp(sum, data + 16, kChecksum) != 0) {
    throw Error(code::bad_bundle, "the bundle's checksum (bytes 16-31) does not match its content: the file is "
                                  "truncated or damaged (" + std::to_string(size) + " bytes received)");
  }
  ByteReader r(std::string_view(reinterpret_cast<const char*>(data), size), "header");
  r.bytes(12);
  const std::uint32_t count = r.u32();
  r.bytes(kChecksum);
  std::vector<BundleSection> sections;
  for (std::uint32_t i = 0; i < count; ++i) {
    if (size - r.offset() < 8) r.fail("section " + std::to_string(i) + "'s header runs past the end of the bundle");
    BundleSection s;
    s.tag = std::string(r.bytes(4));
    const std::uint32_t len = r.u32();
    if (len > size - r.offset()) {
      r.fail("section \"" + s.tag + "\" claims " + std::to_string(len) + " bytes but only " +
             std::to_string(size - r.offset()) + " remain");
    }
    s.payload = r.bytes(len);
    sections.push_back(s);
  }
  if (!r.done()) r.fail(std::to_string(size - r.offset()) + " stray bytes after the last section");
  return sections;
}

std::vector<std::uint8_t> write_bundle(const std::vector<ItemInput>& items, const ModelInput& model, const json& meta,
                                       const std::vector<std::pair<std::string, std::string>>& extra) {
  const auto n = static_cast<std::uint32_t>(items.size());
  StringTable strings;
  // Columns: each item field's strings sit together in STRS (similar strings compress), and
  // each field's indices are deltas from the previous item's (mostly +1: one byte, then nothing).
  ByteWriter item_w;
  item_w.u32(n);
  for (auto field : {&ItemInput::id, &ItemInput::title, &ItemInput::url, &ItemInput::image, &ItemInput::brand,
                     &ItemInput::currency, &ItemInput::attributes_json}) {
    std::int64_t prev = 0;
    for (const auto& it : items) {
      const std::int64_t k = strings.add(it.*field);
      item_w.svarint(k - prev);
      prev = k;
    }
  }
  // Categories: every prefix of every path, parents before children.
  std::unordered_map<std::string, std::uint32_t> cat_index;
  ByteWriter cats_body;
  std::uint32_t cat_count = 0;
  std::vector<std::uint32_t> group;  // leaf + 1, for SIMS
  for (const auto& item : items) {
    std::string path;
    std::uint32_t parent = kNone;
    for (const auto& part : item.category_path) {
      path += path.empty() ? part : "/" + part;
      auto [it, added] = cat_index.try_emplace(path, cat_count);
      if (added) {
        cats_body.varint(strings.add(path));
        cats_body.varint(strings.add(part));
        cats_body.varint(parent + 1);
        ++cat_count;
      }
      parent = it->second;
    }
    item_w.varint(parent + 1);  // the leaf; 0: none
    group.push_back(parent + 1);
  }
  ByteWriter cats;
  cats.u32(cat_count);
  cats.bytes(cats_body.take());

  ByteWriter tags_body;
  std::uint32_t tag_count = 0;
  std::int64_t prev_tag = 0;
  for (const auto& it : items) {
    if (it.tags.size() > 0xFFFF) throw Error(code::bad_bundle, "item \"" + it.id + "\" has over 65535 tags");
    item_w.varint(static_cast<std::uint32_t>(it.tags.size()));
    for (const auto& t : it.tags) {
      const std::int64_t k = strings.add(t);
      tags_body.svarint(k - prev_tag);
      prev_tag = k;
    }
    tag_count += static_cast<std::uint32_t>(it.tags.size());
  }
  for (const auto& it : items) item_w.u8(it.in_stock ? kInStock : 0);
  // Prices in whole cents when every known price is one exactly (k / 100.0 is the double a feed's
  // "12.34" parses to); otherwise every price as f64.
  const bool cents = std::all_of(items.begin(), items.end(), [](const ItemInput& it) {
    return it.price < 0 || (it.price < 4e7 && std::round(it.price * 100) / 100.0 == it.price);
  });
  item_w.u8(cents ? 0 : 1);
  for (const auto& it : items) {
    if (!cents) item_w.f64(it.price);
    else item_w.varint(it.price < 0 ? 0 : static_cast<std::uint32_t>(std::round(it.price * 100)) + 1);
  }
  ByteWriter tags;
  tags.u32(tag_count);
  tags.bytes(tags_body.take());

  ByteWriter pop;
  pop.u32(static_cast<std::uint32_t>(model.windows.size()));
  for (const auto& w : model.windows) {
    pop.varint(strings.add(w.name));
    pop.varint(w.days);
  }
  for (const auto& values : model.popularity) {
    if (values.size() != n) throw Error(code::internal, "a popularity window does not cover every item");
    number_column(pop, values);
  }

  std::vector<std::pair<std::string, std::string>> sections;
  sections.emplace_back("META", meta.dump());
  sections.emplace_back("STRS", strings.section());
  sections.emplace_back("CATS", cats.take());
  sections.emplace_back("TAGS", tags.take());
  sections.emplace_back("ITEM", item_w.take());
  sections.emplace_back("POPW", pop.take());
  if (!model.neighbours.empty()) sections.emplace_back("NBRS", neighbour_section(model.neighbours));
  if (!model.similar.empty()) {
    if (model.similar.size() != n) throw Error(code::internal, "the content neighbours do not cover every item");
    sections.emplace_back("SIMS", similar_section(model.similar, group, cat_count + 1u));
  }
  if (!model.rebuy_days.empty()) {
    ByteWriter rp;
    rp.u32(n);
    number_column(rp, model.rebuy_days);
    number_column(rp, model.rebuy_share);
    sections.emplace_back("RPCH", rp.take());
  }
  for (const auto& x : extra) sections.push_back(x);
  return write_container(sections);
}

// Reads the sections of a container into a Bundle, checking every index it follows.
class BundleReader {
 public:
  static std::unique_ptr<Bundle> read(std::vector<std::uint8_t> bytes) {
    auto b = std::make_unique<Bundle>();
    b->bytes = std::move(bytes);
    b->sections = read_container(b->bytes.data(), b->bytes.size());
    const auto& sections = b->sections;
    auto find = [&](const char* tag, bool required) -> std::string_view {
      for (const auto& s : sections) {
        if (s.tag == tag) return s.payload;
      }
      if (required) throw Error(code::bad_bundle, std::string("the bundle has no \"") + tag + "\" section");
      return {};
    };
    const auto meta = find("META", false);
    b->meta = meta.empty() ? json::object() : parse_json(meta, code::bad_bundle, "the bundle's META section");
    BundleReader r(*b);
    r.strings(find("STRS", true));
    r.categories(find("CATS", true));
    r.tags(find("TAGS", true));
    r.items(find("ITEM", true));
    r.popularity(find("POPW", true));
    r.neighbours(find("NBRS", false));
    r.repurchase(find("RPCH", false));
    r.similar(find("SIMS", false));
    b->offers = read_offers(find("OFFR", false));
    return b;
  }

 private:
  explicit BundleReader(Bundle& b) : b_(b), c_(b.catalog) {}

  std::string_view str(std::uint32_t i, ByteReader& r) {
    if (i >= strings_.size()) r.fail("string index " + std::to_string(i) + " is out of range");
    return strings_[i];
  }
  // The next of a column of deltas: prev + delta, which must name an index below `size`.
  static std::uint32_t next(ByteReader& r, std::int64_t& prev, std::size_t size, const char* what) {
    prev += r.svarint();
    if (prev < 0 || static_cast<std::uint64_t>(prev) >= size) r.fail(std::string(what) + " index " + std::to_string(prev) + " is out of range");
    return static_cast<std::uint32_t>(prev);
  }
  static void end(const ByteReader& r) {
    if (!r.done()) r.fail("stray bytes after the last value");
  }

  void strings(std::string_view data) {
    ByteReader r(data, "STRS");
    const std::uint32_t n = r.count(1);
    if (n == 0) r.fail("the string table is empty");
    std::vector<std::uint32_t> lengths(n);
    std::uint64_t total = 0;
    for (auto& l : lengths) total += l = r.varint();
    if (total != data.size() - r.offset()) r.fail("the string lengths do not add up to the blob");
    strings_.reserve(n);
    for (std::uint32_t i = 0; i < n; ++i) {
      strings_.push_back(r.bytes(lengths[i]));
      // Every string reaches the page as JSON text: each must be UTF-8 on its own.
      if (!is_valid_utf8(strings_.back())) r.fail("string " + std::to_string(i) + " is not valid UTF-8");
    }
  }

  void categories(std::string_view data) {
    ByteReader r(data, "CATS");
    const std::uint32_t n = r.count(3);
    c_.categories_.reserve(n);
    for (std::uint32_t i = 0; i < n; ++i) {
      Category cat;
      cat.path = str(r.varint(), r);
      cat.name = str(r.varint(), r);
      cat.parent = r.varint() - 1;
      if (cat.parent != kNone && cat.parent >= i) r.fail("category " + std::to_string(i) + " names a parent that does not come before it");
      cat.depth = cat.parent == kNone ? 0 : static_cast<std::uint16_t>(c_.categories_[cat.parent].depth + 1);
      if (cat.depth > 16) r.fail("categories nest deeper than 16 levels");
      if (!c_.by_path_.emplace(cat.path, i).second) r.fail("category \"" + std::string(cat.path) + "\" appears twice");
      c_.categories_.push_back(cat);
    }
    end(r);
  }

  void tags(std::string_view data) {
    ByteReader r(data, "TAGS");
    const std::uint32_t n = r.count(1);
    c_.tags_.reserve(n);
    std::int64_t prev = 0;
    for (std::uint32_t i = 0; i < n; ++i) c_.tags_.push_back(strings_[next(r, prev, strings_.size(), "string")]);
    end(r);
  }

  void items(std::string_view data) {
    ByteReader r(data, "ITEM");
    const std::uint32_t n = r.count(11);  // 7 strings, category, tag count, flags: a byte each at least
    auto& items = c_.items_;
    items.resize(n);
    for (auto field : {&Item::id, &Item::title, &Item::url, &Item::image, &Item::brand, &Item::currency, &Item::attributes}) {
      std::int64_t prev = 0;
      for (auto& it : items) it.*field = strings_[next(r, prev, strings_.size(), "string")];
    }
    for (auto& it : items) {
      it.category = r.varint() - 1;
      if (it.category != kNone && it.category >= c_.categories_.size()) r.fail("item \"" + std::string(it.id) + "\" names a missing category");
    }
    std::uint64_t tag_at = 0;
    for (auto& it : items) {
      const std::uint32_t k = r.varint();
      if (k > 0xFFFF || tag_at + k > c_.tags_.size()) r.fail("item \"" + std::string(it.id) + "\" names missing tags");
      it.tag_begin = static_cast<std::uint32_t>(tag_at);
      it.tag_count = static_cast<std::uint16_t>(k);
      tag_at += k;
    }
    for (auto& it : items) it.in_stock = (r.u8() & kInStock) != 0;
    const std::uint8_t f64_prices = r.u8();
    if (f64_prices > 1) r.fail("unknown price encoding " + std::to_string(f64_prices));
    c_.by_id_.reserve(n);
    std::vector<std::uint32_t> product_of;  // of each variant id in c_.variant_ids_
    for (std::uint32_t i = 0; i < n; ++i) {
      Item& it = items[i];
      if (f64_prices) {
        it.price = r.f64();
      } else {
        const std::uint32_t k = r.varint();  // cents + 1; 0: unknown
        it.price = k ? (k - 1) / 100.0 : -1;
      }
      if (it.id.empty()) r.fail("item " + std::to_string(i) + " has an empty id");
      if (!std::isfinite(it.price)) r.fail("item \"" + std::string(it.id) + "\" has a price that is not a number");
      if (!it.attributes.empty()) {
        const json attrs = parse_json(it.attributes, code::bad_bundle, "an item's attributes");
        if (!attrs.is_object()) r.fail("item \"" + std::string(it.id) + "\" has attributes that are not an object");
        // The ids of the product's variants a page may name (emma-model writes them). The key
        // as a pointer: the lookup Fields makes, no new template in the page's engine.
        const char* key = "variants";
        const auto v = attrs.find(key);
        if (v != attrs.end() && v->is_array()) {
          for (const auto& x : *v) {
            if (!x.is_string()) continue;
            c_.variant_ids_.push_back(x.get_ref<const std::string&>());
            product_of.push_back(i);
          }
        }
      }
      if (!c_.by_id_.emplace(it.id, i).second) r.fail("item id \"" + std::string(it.id) + "\" appears twice");
    }
    // After every own id: an item's own id wins over a variant id, and of two products listing
    // one variant id the first (Catalog::find). The vector is whole now: its strings stay put.
    for (std::size_t k = 0; k < product_of.size(); ++k) {
      std::string_view id = c_.variant_ids_[k];
      std::uint32_t i = product_of[k];
      c_.by_id_.emplace(id, i);
    }
    end(r);
  }

  // A number column (number_column): whole numbers as varints, or quantised codes.
  static void numbers(ByteReader& r, std::vector<float>& out, std::size_t n) {
    const std::uint8_t mode = r.u8();
    if (mode > 1) r.fail("unknown number encoding " + std::to_string(mode));
    out.resize(n);
    for (auto& v : out) v = mode ? unquantise(r, r.varint()) : static_cast<float>(r.varint());
  }

  void popularity(std::string_view data) {
    ByteReader r(data, "POPW");
    const std::uint32_t w = r.count(3);
    const std::size_t n = c_.items_.size();
    for (std::uint32_t k = 0; k < w; ++k) {
      PopularityWindow win;
      win.name = std::string(str(r.varint(), r));
      win.days = r.varint();
      b_.model.windows.push_back(win);
    }
    b_.model.popularity.resize(w);
    for (auto& values : b_.model.popularity) numbers(r, values, n);
    end(r);
  }

  void neighbours(std::string_view data) {
    if (data.empty()) return;
    ByteReader r(data, "NBRS");
    auto& offsets = b_.model.neighbour_offsets;
    auto& list = b_.model.neighbours;
    // Each neighbour takes two bytes at least: a list longer than what is left is a lie.
    const std::uint32_t n = lengths(r, data.size(), offsets, 2);
    list.resize(offsets[n]);
    for (std::uint32_t i = 0; i < n; ++i) {
      std::int64_t prev = i;
      for (std::uint32_t k = offsets[i]; k < offsets[i + 1]; ++k) list[k].item = next(r, prev, n, "neighbour item");
    }
    std::int64_t code = kOne;
    for (auto& x : list) {
      code += r.svarint();
      if (code < 0 || code > 0xFFFFFFFF) r.fail("a neighbour score is out of range");
      x.score = unquantise(r, static_cast<std::uint32_t>(code));
    }
    end(r);
  }

  // NBRS and SIMS: item count; a length per item. `bytes`: what a neighbour costs at least.
  std::uint32_t lengths(ByteReader& r, std::size_t size, std::vector<std::uint32_t>& offsets, std::uint64_t bytes) {
    const std::uint32_t n = r.u32();
    if (n != c_.items_.size()) r.fail("covers " + std::to_string(n) + " items, the catalog has " + std::to_string(c_.items_.size()));
    offsets.resize(static_cast<std::size_t>(n) + 1);
    std::uint64_t total = 0;
    for (std::uint32_t i = 0; i < n; ++i) {
      offsets[i] = static_cast<std::uint32_t>(total);
      total += r.varint();
      if (total * bytes > size - r.offset()) r.fail("the neighbour lists are longer than the section");
    }
    offsets[n] = static_cast<std::uint32_t>(total);
    return n;
  }

  // SIMS (similar_section): item count; a length per item; v bit bytes, v score bytes; the bits
  // (LSB first), per item i: one for each earlier item that lists i, latest first, set when i
  // lists it back with the same score; then one for each other neighbour of i, in item order:
  // clear for a position among the items of i's leaf category (0: none) in item order, set for
  // an item index; the scores of those neighbours, a u8 in 1/255 each; then the neighbours as
  // s deltas (each kind from i's own, then from the previous one of its kind). The lists come
  // out in item order. Each neighbour named by a bit pairs with a coded one (an earlier list's
  // later item), so a list costs at least a byte per neighbour.
  void similar(std::string_view data) {
    if (data.empty()) return;
    ByteReader r(data, "SIMS");
    auto& offsets = b_.model.similar_offsets;
    auto& list = b_.model.similar;
    const std::uint32_t n = lengths(r, data.size(), offsets, 1);
    const std::uint32_t bit_bytes = r.varint(), score_bytes = r.varint();
    const std::string_view bits = r.bytes(bit_bytes), scores = r.bytes(score_bytes);
    const std::size_t total = offsets[n], groups = c_.categories_.size() + 1;
    list.resize(total);
    // One allocation: each leaf category's first member (start), each item's position in its
    // category (pos), the categories' items in item order (members), and per item the entries
    // of earlier lists that name it (a linked list through link, latest first; from: whose).
    std::vector<std::uint32_t> work(groups + 1 + 3 * std::size_t{n} + 2 * total, 0);
    std::uint32_t *start = work.data(), *pos = start + groups + 1, *members = pos + n, *head = members + n, *link = head + n,
                  *from = link + total;
    auto group = [&](std::uint32_t i) { return c_.items_[i].category + 1; };
    for (std::uint32_t i = 0; i < n; ++i) pos[i] = start[group(i) + 1]++, head[i] = kNone;
    for (std::size_t g = 0; g < groups; ++g) start[g + 1] += start[g];
    for (std::uint32_t i = 0; i < n; ++i) members[start[group(i)] + pos[i]] = i;
    std::size_t bit_at = 0, score_at = 0;
    auto bad = [&] { r.fail("the bits or scores do not match the list lengths"); };
    auto bit = [&] {
      if (bit_at >> 3 == bits.size()) bad();
      const bool b = (bits[bit_at >> 3] >> (bit_at & 7)) & 1;
      ++bit_at;
      return b;
    };
    for (std::uint32_t i = 0; i < n; ++i) {
      const std::uint32_t first = offsets[i], last = offsets[i + 1];
      // The neighbours listed back arrive in descending item order: placed from the end, they
      // end up ascending; the coded ones (ascending) are merged in from the front.
      std::uint32_t tail = last;
      for (std::uint32_t e = head[i]; e != kNone; e = link[e]) {
        if (!bit()) continue;
        if (tail == first) bad();
        list[--tail] = {from[e], list[e].score};
      }
      const std::uint32_t g = group(i);
      std::int64_t prev_local = pos[i], prev = i;
      std::uint32_t coded = tail - first;
      Neighbour x{};
      bool have = false;
      for (std::uint32_t k = first; k < last; ++k) {
        if (!have && coded) {
          --coded;
          have = true;
          // One range check for both kinds (an item index, or a position in i's category).
          const bool index = bit();
          const std::uint32_t v = next(r, index ? prev : prev_local, index ? n : start[g + 1] - start[g], "neighbour item");
          x.item = index ? v : members[start[g] + v];
          if (score_at == scores.size()) bad();
          x.score = static_cast<float>(static_cast<std::uint8_t>(scores[score_at++])) / 255.f;
        }
        if (have && (tail == last || !by_item(list[tail], x))) {
          list[k] = x;
          have = false;
        } else {
          list[k] = list[tail++];
        }
        if (list[k].item > i) link[k] = head[list[k].item], head[list[k].item] = k, from[k] = i;
      }
    }
    if ((bit_at + 7) >> 3 != bits.size() || score_at != scores.size()) bad();
    end(r);
  }

  void repurchase(std::string_view data) {
    if (data.empty()) return;
    ByteReader r(data, "RPCH");
    const std::uint32_t n = r.count(2);
    if (n != c_.items_.size()) r.fail("covers " + std::to_string(n) + " items, the catalog has " + std::to_string(c_.items_.size()));
    auto& m = b_.model;
    numbers(r, m.rebuy_days, n);
    numbers(r, m.rebuy_share, n);
    for (std::uint32_t i = 0; i < n; ++i) {
      if (m.rebuy_share[i] > 1) r.fail("item " + std::to_string(i) + " has repurchase figures out of range");
    }
    end(r);
  }

  Bundle& b_;
  Catalog& c_;
  std::vector<std::string_view> strings_;
};

std::unique_ptr<Bundle> read_bundle(std::vector<std::uint8_t> bytes) { return BundleReader::read(std::move(bytes)); }


}  // namespace emma
