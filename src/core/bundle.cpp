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
    std::uint32_t at = 0;
    for (const auto* s : strings_) {
      w.u32(at);
      at += static_cast<std::uint32_t>(s->size());
    }
    w.u32(at);
    for (const auto* s : strings_) w.bytes(*s);
    return w.take();
  }

 private:
  std::unordered_map<std::string, std::uint32_t> index_;
  std::vector<const std::string*> strings_;
};

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
  // Categories: every prefix of every path, parents before children.
  std::unordered_map<std::string, std::uint32_t> cat_index;
  ByteWriter cats_body;
  std::uint32_t cat_count = 0;
  std::vector<std::uint32_t> leaf(n, kNone);
  for (std::uint32_t i = 0; i < n; ++i) {
    std::string path;
    std::uint32_t parent = kNone;
    for (const auto& part : items[i].category_path) {
      path += path.empty() ? part : "/" + part;
      auto [it, added] = cat_index.try_emplace(path, cat_count);
      if (added) {
        cats_body.u32(strings.add(path));
        cats_body.u32(strings.add(part));
        cats_body.u32(parent);
        ++cat_count;
      }
      parent = it->second;
    }
    leaf[i] = parent;
  }
  ByteWriter cats;
  cats.u32(cat_count);
  cats.bytes(cats_body.take());

  ByteWriter tags_body, item_w;
  std::uint32_t tag_count = 0;
  item_w.u32(n);
  for (std::uint32_t i = 0; i < n; ++i) {
    const auto& it = items[i];
    for (const auto* s : {&it.id, &it.title, &it.url, &it.image, &it.brand, &it.currency, &it.attributes_json}) {
      item_w.u32(strings.add(*s));
    }
    item_w.u32(leaf[i]);
    item_w.u32(tag_count);
    item_w.u16(static_cast<std::uint16_t>(it.tags.size()));
    for (const auto& t : it.tags) tags_body.u32(strings.add(t));
    tag_count += static_cast<std::uint32_t>(it.tags.size());
    item_w.u8(it.in_stock ? kInStock : 0);
    item_w.u8(0);
    item_w.f64(it.price);
  }
  ByteWriter tags;
  tags.u32(tag_count);
  tags.bytes(tags_body.take());

  ByteWriter pop;
  pop.u32(static_cast<std::uint32_t>(model.windows.size()));
  for (const auto& w : model.windows) {
    pop.u32(strings.add(w.name));
    pop.u32(w.days);
  }
  for (const auto& values : model.popularity) {
    if (values.size() != n) throw Error(code::internal, "a popularity window does not cover every item");
    for (float v : values) pop.f32(v);
  }

  std::vector<std::pair<std::string, std::string>> sections;
  sections.emplace_back("META", meta.dump());
  sections.emplace_back("STRS", strings.section());
  sections.emplace_back("CATS", cats.take());
  sections.emplace_back("TAGS", tags.take());
  sections.emplace_back("ITEM", item_w.take());
  sections.emplace_back("POPW", pop.take());
  if (!model.neighbours.empty()) {
    ByteWriter nb;
    nb.u32(n);
    std::uint32_t at = 0;
    for (std::uint32_t i = 0; i <= n; ++i) {
      nb.u32(at);
      if (i < n) at += static_cast<std::uint32_t>(model.neighbours[i].size());
    }
    for (const auto& list : model.neighbours) {
      for (const auto& x : list) {
        nb.u32(x.item);
        nb.f32(x.score);
      }
    }
    sections.emplace_back("NBRS", nb.take());
  }
  if (!model.similar.empty()) {
    if (model.similar.size() != n) throw Error(code::internal, "the content neighbours do not cover every item");
    ByteWriter sm;
    sm.u32(n);
    std::uint32_t at = 0;
    for (std::uint32_t i = 0; i <= n; ++i) {
      sm.u32(at);
      if (i < n) at += static_cast<std::uint32_t>(model.similar[i].size());
    }
    for (const auto& list : model.similar) {
      for (const auto& x : list) {
        sm.u32(x.item);
        sm.u8(static_cast<std::uint8_t>(std::lround(std::clamp(x.score, 1.f / 255, 1.f) * 255)));
      }
    }
    sections.emplace_back("SIMS", sm.take());
  }
  if (!model.rebuy_days.empty()) {
    ByteWriter rp;
    rp.u32(n);
    for (std::uint32_t i = 0; i < n; ++i) {
      rp.f32(model.rebuy_days[i]);
      rp.f32(model.rebuy_share[i]);
    }
    sections.emplace_back("RPCH", rp.take());
  }
  sections.insert(sections.end(), extra.begin(), extra.end());
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

  std::string_view str(ByteReader& r) {
    const std::uint32_t i = r.u32();
    if (i >= strings_.size()) r.fail("string index " + std::to_string(i) + " is out of range");
    return strings_[i];
  }

  void strings(std::string_view data) {
    ByteReader r(data, "STRS");
    const std::uint32_t n = r.count(4);
    if (n == 0) r.fail("the string table is empty");
    std::vector<std::uint32_t> offsets(n + 1);
    for (auto& o : offsets) o = r.u32();
    const std::string_view blob = r.bytes(data.size() - r.offset());
    if (offsets[0] != 0 || offsets[n] != blob.size()) r.fail("the string offsets do not span the blob");
    strings_.reserve(n);
    for (std::uint32_t i = 0; i < n; ++i) {
      if (offsets[i + 1] < offsets[i] || offsets[i + 1] > blob.size()) {
        r.fail("string " + std::to_string(i) + " has a negative length or ends past the blob");
      }
      strings_.push_back(blob.substr(offsets[i], offsets[i + 1] - offsets[i]));
      // Every string reaches the page as JSON text: each must be UTF-8 on its own.
      if (!is_valid_utf8(strings_.back())) r.fail("string " + std::to_string(i) + " is not valid UTF-8");
    }
  }

  void categories(std::string_view data) {
    ByteReader r(data, "CATS");
    const std::uint32_t n = r.count(12);
    c_.categories_.reserve(n);
    for (std::uint32_t i = 0; i < n; ++i) {
      Category cat;
      cat.path = str(r);
      cat.name = str(r);
      cat.parent = r.u32();
      if (cat.parent != kNone && cat.parent >= i) r.fail("category " + std::to_string(i) + " names a parent that does not come before it");
      cat.depth = cat.parent == kNone ? 0 : static_cast<std::uint16_t>(c_.categories_[cat.parent].depth + 1);
      if (cat.depth > 16) r.fail("categories nest deeper than 16 levels");
      if (!c_.by_path_.emplace(cat.path, i).second) r.fail("category \"" + std::string(cat.path) + "\" appears twice");
      c_.categories_.push_back(cat);
    }
  }

  void tags(std::string_view data) {
    ByteReader r(data, "TAGS");
    const std::uint32_t n = r.count(4);
    c_.tags_.reserve(n);
    for (std::uint32_t i = 0; i < n; ++i) c_.tags_.push_back(str(r));
  }

  void items(std::string_view data) {
    ByteReader r(data, "ITEM");
    const std::uint32_t n = r.count(48);
    c_.items_.reserve(n);
    c_.by_id_.reserve(n);
    for (std::uint32_t i = 0; i < n; ++i) {
      Item it;
      it.id = str(r);
      it.title = str(r);
      it.url = str(r);
      it.image = str(r);
      it.brand = str(r);
      it.currency = str(r);
      it.attributes = str(r);
      it.category = r.u32();
      it.tag_begin = r.u32();
      it.tag_count = r.u16();
      const std::uint8_t flags = r.u8();
      r.u8();
      it.price = r.f64();
      if (it.id.empty()) r.fail("item " + std::to_string(i) + " has an empty id");
      if (it.category != kNone && it.category >= c_.categories_.size()) r.fail("item \"" + std::string(it.id) + "\" names a missing category");
      if (static_cast<std::size_t>(it.tag_begin) + it.tag_count > c_.tags_.size()) r.fail("item \"" + std::string(it.id) + "\" names missing tags");
      if (!std::isfinite(it.price)) r.fail("item \"" + std::string(it.id) + "\" has a price that is not a number");
      if (!it.attributes.empty()) {
        const json attrs = parse_json(it.attributes, code::bad_bundle, "an item's attributes");
        if (!attrs.is_object()) r.fail("item \"" + std::string(it.id) + "\" has attributes that are not an object");
      }
      it.in_stock = (flags & kInStock) != 0;
      if (!c_.by_id_.emplace(it.id, i).second) r.fail("item id \"" + std::string(it.id) + "\" appears twice");
      c_.items_.push_back(it);
    }
  }

  void popularity(std::string_view data) {
    ByteReader r(data, "POPW");
    const std::uint32_t w = r.count(8);
    const std::size_t n = c_.items_.size();
    for (std::uint32_t k = 0; k < w; ++k) {
      PopularityWindow win;
      win.name = std::string(str(r));
      win.days = r.u32();
      b_.model.windows.push_back(win);
    }
    if (static_cast<std::size_t>(data.size() - r.offset()) != static_cast<std::size_t>(w) * n * 4) {
      r.fail("expected " + std::to_string(w) + " windows of " + std::to_string(n) + " values");
    }
    b_.model.popularity.assign(w, std::vector<float>(n));
    for (auto& values : b_.model.popularity) {
      for (auto& v : values) {
        v = r.f32();
        if (!std::isfinite(v) || v < 0) r.fail("a popularity value is negative or not a number");
      }
    }
  }

  void neighbours(std::string_view data) { neighbour_lists(data, "NBRS", b_.model.neighbour_offsets, b_.model.neighbours); }
  void similar(std::string_view data) { neighbour_lists(data, "SIMS", b_.model.similar_offsets, b_.model.similar); }

  // NBRS and SIMS: item count; item-count+1 offsets; per neighbour an item and its score
  // (NBRS: f32; SIMS: u8 in 1/255).
  void neighbour_lists(std::string_view data, const char* tag, std::vector<std::uint32_t>& offsets, std::vector<Neighbour>& list) {
    if (data.empty()) return;
    const bool quantised = tag[0] == 'S';
    ByteReader r(data, tag);
    const std::uint32_t n = r.u32();
    if (n != c_.items_.size()) r.fail("covers " + std::to_string(n) + " items, the catalog has " + std::to_string(c_.items_.size()));
    offsets.resize(static_cast<std::size_t>(n) + 1);
    for (auto& o : offsets) o = r.u32();
    const std::uint32_t total = offsets.back();
    if (offsets[0] != 0 || static_cast<std::size_t>(total) * (quantised ? 5 : 8) != data.size() - r.offset()) {
      r.fail("the neighbour offsets do not match the neighbour list");
    }
    for (std::uint32_t i = 0; i < n; ++i) {
      if (offsets[i + 1] < offsets[i]) r.fail("neighbour offsets go backwards");
    }
    list.resize(total);
    for (auto& x : list) {
      x.item = r.u32();
      x.score = quantised ? static_cast<float>(r.u8()) / 255.f : r.f32();
      if (x.item >= n) r.fail("a neighbour names item " + std::to_string(x.item) + " of " + std::to_string(n));
      if (!std::isfinite(x.score) || x.score < 0) r.fail("a neighbour score is negative or not a number");
    }
  }

  void repurchase(std::string_view data) {
    if (data.empty()) return;
    ByteReader r(data, "RPCH");
    const std::uint32_t n = r.count(8);
    if (n != c_.items_.size()) r.fail("covers " + std::to_string(n) + " items, the catalog has " + std::to_string(c_.items_.size()));
    auto& m = b_.model;
    m.rebuy_days.resize(n);
    m.rebuy_share.resize(n);
    for (std::uint32_t i = 0; i < n; ++i) {
      m.rebuy_days[i] = r.f32();
      m.rebuy_share[i] = r.f32();
      if (!std::isfinite(m.rebuy_days[i]) || !std::isfinite(m.rebuy_share[i]) || m.rebuy_days[i] < 0 ||
          m.rebuy_share[i] < 0 || m.rebuy_share[i] > 1) {
        r.fail("item " + std::to_string(i) + " has repurchase figures out of range");
      }
    }
  }

  Bundle& b_;
  Catalog& c_;
  std::vector<std::string_view> strings_;
};

std::unique_ptr<Bundle> read_bundle(std::vector<std::uint8_t> bytes) { return BundleReader::read(std::move(bytes)); }


}  // namespace emma
