#include "bundle_set.hpp"

#include <algorithm>
#include <unordered_map>

#include "bytes.hpp"
#include "error.hpp"
#include "json_build.hpp"

namespace emma {
namespace {

std::string hex(const std::uint8_t* p, std::size_t n) {
  static const char* d = "0123456789abcdef";
  std::string s;
  for (std::size_t i = 0; i < n; ++i) (s += d[p[i] >> 4]) += d[p[i] & 15];
  return s;
}

using List = std::vector<std::pair<std::string_view, float>>;

// One item as the merge sees it, from a piece or from the remembered items.
struct Source {
  const Item* item = nullptr;  // a piece's item (string views into its bytes)
  const json* record = nullptr;  // or a remembered record
  std::string_view id, category;
  std::vector<std::string_view> tags;
  std::uint32_t gidx = 0;
  bool owned = false;
  std::vector<float> pop;
  float rebuy_days = 0, rebuy_share = 0;
  List n, m;
};

std::string_view sv(const json& j, const char* key) {
  const auto it = j.find(key);
  return it != j.end() && it->is_string() ? std::string_view(it->get_ref<const std::string&>()) : std::string_view();
}

List list_of(const Catalog& c, std::pair<const Neighbour*, const Neighbour*> range) {
  List out;
  for (auto it = range.first; it != range.second; ++it) out.emplace_back(c.item(it->item).id, it->score);
  return out;
}

}  // namespace

BundleSet::Piece BundleSet::piece(std::unique_ptr<Bundle> b) {
  Piece p;
  const std::string_view data = b->section("GIDX");
  const std::size_t n = b->catalog.size();
  if (!data.empty()) {
    ByteReader r(data, "GIDX");
    if (r.u32() != n) r.fail("does not cover every item");
    for (std::size_t i = 0; i < n; ++i) {
      const std::uint32_t v = r.u32();
      p.gidx.push_back(v >> 1);
      p.owned.push_back(v & 1);
    }
    if (!r.done()) r.fail("has stray bytes");
  } else {
    for (std::size_t i = 0; i < n; ++i) p.gidx.push_back(static_cast<std::uint32_t>(i));
    p.owned.assign(n, 1);
  }
  p.b = std::move(b);
  return p;
}

void BundleSet::load(std::unique_ptr<Bundle> head) {
  ShardManifest manifest = read_manifest(head->meta);
  Piece p = piece(std::move(head));  // checks GIDX before anything changes
  const std::string id = hex(p.b->bytes.data() + 16, 16);
  shards_.clear();
  merged_.reset();
  head_piece_ = std::move(p);
  manifest_ = std::move(manifest);
  if (id != head_id_) forget_memo();
  head_id_ = id;
  rebuild();
}

bool BundleSet::has_shard(std::uint32_t index) const {
  return std::any_of(shards_.begin(), shards_.end(), [&](const Piece& p) { return p.shard == index; });
}

std::uint32_t BundleSet::add_shard(const std::string& name, const std::uint8_t* data, std::size_t size, std::uint64_t tick) {
  const auto at = std::find(manifest_.files.begin(), manifest_.files.end(), name);
  if (at == manifest_.files.end()) throw Error(code::bad_bundle, name + ": not a shard of the loaded bundle");
  const auto index = static_cast<std::uint32_t>(at - manifest_.files.begin());
  if (size < 32 || hex(data + 16, 16) != manifest_.sums[index]) {
    throw Error(code::bad_bundle, name + ": not the shard the bundle names (its checksum differs: another build, or damaged)");
  }
  std::unique_ptr<Bundle> b;
  try {
    b = read_bundle(std::vector<std::uint8_t>(data, data + size));
    const auto s = b->meta.find("shard");
    if (s == b->meta.end() || *s != index) throw Error(code::bad_bundle, "its META does not say it is shard " + std::to_string(index));
  } catch (const Error& e) {
    throw Error(e.code(), name + ": " + e.what());
  }
  Piece p = piece(std::move(b));
  p.shard = index;
  p.used = tick;
  shards_.erase(std::remove_if(shards_.begin(), shards_.end(), [&](const Piece& q) { return q.shard == index; }), shards_.end());
  if (shards_.size() >= kMaxLoadedShards) {
    shards_.erase(std::min_element(shards_.begin(), shards_.end(), [](const Piece& a, const Piece& b) { return a.used < b.used; }));
  }
  shards_.push_back(std::move(p));
  rebuild();
  return index;
}

bool BundleSet::complete(const std::string& id) const {
  if (!merged_) return true;
  const std::uint32_t i = merged_->catalog.index_of(id);
  return i != kNone && merged_owned_[i];
}

void BundleSet::forget_memo() {
  memo_owned_ = json::object();
  memo_records_ = json::object();
}

json BundleSet::memo() const {
  if (memo_owned_.empty()) return nullptr;
  return Obj()("head", head_id_)("owned", memo_owned_)("records", memo_records_);
}

void BundleSet::set_memo(const json& memo) {
  forget_memo();
  if (!memo.is_object() || sv(memo, "head") != head_id_ || manifest_.count == 0) return rebuild();
  const auto owned = memo.find("owned");
  const auto records = memo.find("records");
  if (owned == memo.end() || records == memo.end() || !owned->is_object() || !records->is_object()) return rebuild();
  for (const auto& [id, rec] : records->items()) {
    if (rec.is_object() && rec.contains("t") && rec.contains("x") && rec["x"].is_number_unsigned()) memo_records_[id] = rec;
  }
  for (const auto& [id, entry] : owned->items()) {
    if (entry.is_object() && memo_records_.contains(id)) memo_owned_[id] = entry;
  }
  rebuild();
}

bool BundleSet::remember(const std::string& id, std::int64_t at) {
  if (manifest_.count == 0 || !merged_) return false;
  if (auto it = memo_owned_.find(id); it != memo_owned_.end()) {
    (*it)["at"] = at;
    return false;
  }
  const Bundle& v = *merged_;
  const Catalog& c = v.catalog;
  const std::uint32_t i = c.index_of(id);
  if (i == kNone || !merged_owned_[i]) return false;
  auto record = [&](std::uint32_t k) {
    const Item& it = c.item(k);
    json tags = json::array();
    for (std::uint16_t t = 0; t < it.tag_count; ++t) tags.push_back(c.tag(it, t));
    json pop = json::array();
    for (const auto& w : v.model.popularity) pop.push_back(w[k]);
    json r = Obj()("t", it.title)("u", it.url)("i", it.image)("b", it.brand)("c", it.currency)
        ("k", it.category == kNone ? std::string_view() : c.category(it.category).path)("g", std::move(tags))("p", it.price)
        ("s", it.in_stock)("a", it.attributes)("x", merged_gidx_[k])("w", std::move(pop));
    if (!v.model.rebuy_days.empty()) r["r"] = Arr()(v.model.rebuy_days[k])(v.model.rebuy_share[k]);
    memo_records_[std::string(it.id)] = std::move(r);
  };
  auto lists = [&](std::pair<const Neighbour*, const Neighbour*> range) {
    json out = json::array();
    for (auto it = range.first; it != range.second; ++it) {
      out.push_back(Arr()(c.item(it->item).id)(it->score));
      record(it->item);
    }
    return out;
  };
  record(i);
  memo_owned_[id] = Obj()("at", at)("n", lists(v.model.neighbours_of(i)))("m", lists(v.model.similar_of(i)));
  // Keep the most recently used; drop the records nothing remembered names any more.
  while (memo_owned_.size() > kMaxRememberedItems) {
    auto oldest = memo_owned_.begin();
    for (auto it = memo_owned_.begin(); it != memo_owned_.end(); ++it) {
      if ((*it)["at"] < (*oldest)["at"]) oldest = it;
    }
    memo_owned_.erase(oldest);
  }
  json keep = json::object();
  for (const auto& [owner, entry] : memo_owned_.items()) {
    keep[owner] = memo_records_[owner];
    for (const char* key : {"n", "m"}) {
      for (const auto& x : entry[key]) {
        const std::string& nid = x[0].get_ref<const std::string&>();
        if (memo_records_.contains(nid)) keep[nid] = memo_records_[nid];
      }
    }
  }
  memo_records_ = std::move(keep);
  rebuild();
  return true;
}

void BundleSet::rebuild() {
  merged_.reset();
  merged_gidx_.clear();
  merged_owned_.clear();
  if (!head_piece_.b || manifest_.count == 0) return;  // a whole bundle is its own view
  const Bundle& head = *head_piece_.b;
  const Catalog& hc = head.catalog;
  const auto& windows = head.model.windows;

  // Every item once: owned copies first, then any (ties: the first seen).
  std::unordered_map<std::string_view, Source> by_id;
  auto offer = [&](Source&& s) {
    auto [it, added] = by_id.try_emplace(s.id);
    if (added || (s.owned && !it->second.owned)) it->second = std::move(s);
  };
  auto from_piece = [&](const Piece& p) {
    const Bundle& b = *p.b;
    const Catalog& c = b.catalog;
    std::vector<std::size_t> window_of;
    for (const auto& w : windows) window_of.push_back(b.model.window(w.name));
    for (std::uint32_t i = 0; i < c.size(); ++i) {
      Source s;
      s.item = &c.item(i);
      s.id = s.item->id;
      if (s.item->category != kNone) s.category = c.category(s.item->category).path;
      for (std::uint16_t t = 0; t < s.item->tag_count; ++t) s.tags.push_back(c.tag(*s.item, t));
      s.gidx = p.gidx[i];
      s.owned = p.owned[i] != 0;
      for (auto w : window_of) s.pop.push_back(b.model.popularity_of(w, i));
      if (!b.model.rebuy_days.empty()) {
        s.rebuy_days = b.model.rebuy_days[i];
        s.rebuy_share = b.model.rebuy_share[i];
      }
      if (s.owned) {
        s.n = list_of(c, b.model.neighbours_of(i));
        s.m = list_of(c, b.model.similar_of(i));
      }
      offer(std::move(s));
    }
  };
  for (auto it = shards_.rbegin(); it != shards_.rend(); ++it) from_piece(*it);
  from_piece(head_piece_);
  for (const auto& [id, rec] : memo_records_.items()) {
    Source s;
    s.record = &rec;
    s.id = id;
    s.category = sv(rec, "k");
    if (rec.contains("g") && rec["g"].is_array()) {
      for (const auto& t : rec["g"]) {
        if (t.is_string()) s.tags.push_back(t.get_ref<const std::string&>());
      }
    }
    s.gidx = rec["x"].get<std::uint32_t>();
    const auto w = rec.find("w");
    for (std::size_t k = 0; k < windows.size(); ++k) {
      s.pop.push_back(w != rec.end() && w->is_array() && k < w->size() && (*w)[k].is_number() ? std::max(0.f, (*w)[k].get<float>()) : 0.f);
    }
    if (const auto r = rec.find("r"); r != rec.end() && r->is_array() && r->size() == 2 && (*r)[0].is_number() && (*r)[1].is_number()) {
      s.rebuy_days = (*r)[0].get<float>();
      s.rebuy_share = (*r)[1].get<float>();
    }
    if (const auto o = memo_owned_.find(id); o != memo_owned_.end()) {
      s.owned = true;
      for (const char* key : {"n", "m"}) {
        List& into = key[0] == 'n' ? s.n : s.m;
        if (!o->contains(key) || !(*o)[key].is_array()) continue;
        for (const auto& x : (*o)[key]) {
          if (x.is_array() && x.size() == 2 && x[0].is_string() && x[1].is_number()) into.emplace_back(x[0].get_ref<const std::string&>(), x[1].get<float>());
        }
      }
    }
    offer(std::move(s));
  }

  std::vector<Source*> order;
  order.reserve(by_id.size());
  for (auto& [id, s] : by_id) order.push_back(&s);
  std::sort(order.begin(), order.end(), [](const Source* a, const Source* b) { return a->gidx != b->gidx ? a->gidx < b->gidx : a->id < b->id; });

  auto m = std::make_unique<Bundle>();
  m->meta = head.meta;
  m->offers = head.offers;
  Catalog& c = m->catalog;
  c.categories_ = hc.categories_;
  c.by_path_ = hc.by_path_;
  Model& model = m->model;
  model.windows = windows;
  model.popularity.assign(windows.size(), std::vector<float>(order.size()));
  const bool rebuy = std::any_of(order.begin(), order.end(), [](const Source* s) { return s->rebuy_days > 0 || s->rebuy_share > 0; });
  if (rebuy) {
    model.rebuy_days.assign(order.size(), 0);
    model.rebuy_share.assign(order.size(), 0);
  }
  c.items_.reserve(order.size());
  for (std::uint32_t k = 0; k < order.size(); ++k) {
    const Source& s = *order[k];
    Item it;
    if (s.item) {
      it = *s.item;
    } else {
      const json& r = *s.record;
      it.id = s.id;
      it.title = sv(r, "t");
      it.url = sv(r, "u");
      it.image = sv(r, "i");
      it.brand = sv(r, "b");
      it.currency = sv(r, "c");
      it.attributes = sv(r, "a");
      it.price = r.contains("p") && r["p"].is_number() ? r["p"].get<double>() : -1;
      it.in_stock = !r.contains("s") || r["s"] != false;
    }
    it.category = s.category.empty() ? kNone : hc.category_id(s.category);
    it.tag_begin = static_cast<std::uint32_t>(c.tags_.size());
    it.tag_count = static_cast<std::uint16_t>(s.tags.size());
    c.tags_.insert(c.tags_.end(), s.tags.begin(), s.tags.end());
    c.by_id_.emplace(it.id, k);
    c.items_.push_back(it);
    for (std::size_t w = 0; w < windows.size(); ++w) model.popularity[w][k] = s.pop[w];
    if (rebuy) {
      model.rebuy_days[k] = s.rebuy_days;
      model.rebuy_share[k] = s.rebuy_share;
    }
    merged_gidx_.push_back(s.gidx);
    merged_owned_.push_back(s.owned);
  }
  auto csr = [&](List Source::*list, std::vector<std::uint32_t>& offsets, std::vector<Neighbour>& out) {
    offsets.assign(1, 0);
    for (const Source* s : order) {
      for (const auto& [nid, score] : s->*list) {
        const std::uint32_t j = c.index_of(nid);
        if (j != kNone) out.push_back({j, score});
      }
      offsets.push_back(static_cast<std::uint32_t>(out.size()));
    }
  };
  csr(&Source::n, model.neighbour_offsets, model.neighbours);
  csr(&Source::m, model.similar_offsets, model.similar);
  if (model.similar.empty()) model.similar_offsets.clear();
  merged_ = std::move(m);
}

}  // namespace emma
