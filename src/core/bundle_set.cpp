#include "bundle_set.hpp"

#include <algorithm>
#include <unordered_map>

#include <sodium.h>

#include "bytes.hpp"
#include "error.hpp"
#include "json_build.hpp"
#include "json_input.hpp"
#include "shard_writer.hpp"

namespace emma {

BundleSet::Piece BundleSet::piece(std::shared_ptr<const Bundle> b) {
  Piece p;
  const std::string_view data = b->section("GIDX");
  const auto n = static_cast<std::uint32_t>(b->catalog.size());
  ByteReader r(data, "GIDX");
  if (!data.empty() && r.u32() != n) r.fail("does not cover every item");
  for (std::uint32_t i = 0; i < n; ++i) {
    const std::uint32_t v = data.empty() ? i << 1 | 1 : r.u32();
    p.gidx.push_back(v >> 1);
    p.owned.push_back(v & 1);
  }
  p.b = std::move(b);
  return p;
}

void BundleSet::load(std::unique_ptr<Bundle> head) {
  ShardManifest manifest = read_manifest(head->meta);
  Piece p = piece(std::move(head));  // checks GIDX before anything changes
  shards_.clear();
  if (manifest.build != manifest_.build) {
    memo_ = Piece{};
    memo_at_.clear();
    memo_adds_.clear();
  }
  head_ = std::move(p);
  manifest_ = std::move(manifest);
  rebuild();
}

bool BundleSet::has_shard(std::uint32_t index) const {
  return std::any_of(shards_.begin(), shards_.end(), [&](const Piece& p) { return p.shard == index; });
}

BundleSet::Piece BundleSet::verified(std::shared_ptr<const Bundle> b, std::uint32_t index) const {
  const json& meta = b->meta;
  if (meta.value("build", "") != manifest_.build || meta.value("shard", manifest_.count) != index) {
    throw Error(code::bad_bundle, "its META names another build or shard (" + meta.value("build", "") + ") than the bundle (" + manifest_.build + ")");
  }
  Piece p = piece(std::move(b));
  p.shard = index;
  return p;
}

std::uint32_t BundleSet::add_shard(const std::string& name, const std::uint8_t* data, std::size_t size, std::int64_t at) {
  Piece p;
  try {
    std::uint32_t index = manifest_.count;
    const std::string prefix = manifest_.stem + "." + manifest_.build + ".";
    if (name.rfind(prefix, 0) == 0) index = static_cast<std::uint32_t>(std::strtoul(name.c_str() + prefix.size(), nullptr, 10));
    if (index >= manifest_.count || shard_file(manifest_, index) != name) throw Error(code::bad_bundle, "not a shard of the loaded bundle");
    p = verified(read_bundle(std::vector<std::uint8_t>(data, data + size)), index);
  } catch (const Error& e) {
    throw Error(e.code(), name + ": " + e.what());
  }
  p.at = at;
  const std::uint32_t index = p.shard;
  shards_.erase(std::remove_if(shards_.begin(), shards_.end(), [&](const Piece& q) { return q.shard == index; }), shards_.end());
  if (shards_.size() >= kMaxLoadedShards) {
    shards_.erase(std::min_element(shards_.begin(), shards_.end(), [](const Piece& a, const Piece& b) { return a.at < b.at; }));
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

std::string_view BundleSet::fetched_product(const std::string& id) const {
  auto product = [&](const Piece& p) {
    const Item* it = p.b->catalog.find(id);
    return it && it->id != id ? it->id : std::string_view();
  };
  std::string_view found = product(head_);
  for (const auto& p : shards_) {
    if (found.empty()) found = product(p);
  }
  return found;
}

namespace {

std::string base64(const std::vector<std::uint8_t>& bytes) {
  std::string text(sodium_base64_ENCODED_LEN(bytes.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(text.data(), text.size(), bytes.data(), bytes.size(), sodium_base64_VARIANT_ORIGINAL);
  text.pop_back();  // the terminating NUL
  return text;
}

// The indices set in `mark`, in order: a piece's items (write_piece takes them in the view's
// order; marking, not sorting, keeps a sort's code out of the embed's engine).
std::vector<std::uint32_t> marked(const std::vector<std::uint8_t>& mark) {
  std::vector<std::uint32_t> items;
  for (std::uint32_t i = 0; i < mark.size(); ++i) {
    if (mark[i]) items.push_back(i);
  }
  return items;
}

}  // namespace

// A remembered piece's META: the head's, naming its build as a shard's does, without the shards
// (a copy of the other keys, not json::erase, whose code the engine has nowhere else).
json BundleSet::piece_meta() const {
  json meta = json::object();
  for (auto it = head_.b->meta.begin(); it != head_.b->meta.end(); ++it) {
    if (it.key() != "shards") meta[it.key()] = *it;
  }
  meta["build"] = manifest_.build;
  return meta;
}

// Already remembered (in the compacted piece or a later one): its last use is updated (never
// back: an old event imported later must not make a recently used item the first to go).
bool BundleSet::remembered(const std::string& id, std::int64_t at) {
  if (memo_.b) {
    const std::uint32_t k = memo_.b->catalog.index_of(id);
    if (k != kNone && memo_.owned[k]) return memo_at_[k] = std::max(memo_at_[k], at), true;
  }
  for (Piece& p : memo_adds_) {
    const std::uint32_t k = p.b->catalog.index_of(id);
    if (k != kNone && p.owned[k]) return p.at = std::max(p.at, at), true;
  }
  return false;
}

void BundleSet::remember(const std::string& id, std::int64_t at, json& added) {
  if (!manifest_.count || id.empty() || remembered(id, at) || !complete(id)) return;  // not complete: its page did not fetch its shard
  const Bundle& v = view();
  const std::uint32_t i = v.catalog.index_of(id);
  std::vector<std::uint8_t> owned(v.catalog.size(), 0), mark(v.catalog.size(), 0);
  owned[i] = mark[i] = 1;
  for (auto range : {v.model.neighbours_of(i), v.model.similar_of(i)}) {
    for (auto x = range.first; x != range.second; ++x) mark[x->item] = 1;
  }
  Piece p = verified(read_bundle(write_piece(v, marked(mark), owned, piece_meta(), &merged_gidx_)), manifest_.count);
  p.at = at;
  added.push_back(Obj()("at", Arr()(at))("bundle", base64(p.b->bytes)));
  memo_adds_.push_back(std::move(p));
}

// The remembered items with their lists, and their neighbours' records, from the view (which
// has them all: each was complete in it when remembered, and stays so while remembered).
void BundleSet::compact_memo(const std::vector<std::string_view>& keep) {
  if (!memo_.b && memo_adds_.empty()) return;
  const Bundle& v = view();
  std::vector<std::uint8_t> wanted(v.catalog.size(), 0);
  for (const std::string_view id : keep) {
    const std::uint32_t i = v.catalog.index_of(id);
    if (i != kNone) wanted[i] = 1;
  }
  const std::size_t n = v.catalog.size();
  std::vector<std::uint8_t> owned(n, 0);  // the kept items
  std::vector<std::int64_t> when(n, 0);   // their last use
  std::size_t count = 0;
  auto take = [&](const Piece& p, std::uint32_t k, std::int64_t at) {
    const std::uint32_t i = p.owned[k] ? v.catalog.index_of(p.b->catalog.item(k).id) : kNone;
    if (i != kNone && merged_owned_[i] && wanted[i]) owned[i] = 1, when[i] = at, wanted[i] = 0, ++count;  // once
  };
  for (std::uint32_t k = 0; memo_.b && k < memo_.owned.size(); ++k) take(memo_, k, memo_at_[k]);
  for (const Piece& p : memo_adds_) {
    for (std::uint32_t k = 0; k < p.owned.size(); ++k) take(p, k, p.at);
  }
  if (count > kMaxRememberedItems) {
    // The least recently used go: every one used before the last use that goes, then of those
    // used at that time, the first in the view's order.
    std::vector<std::int64_t> uses;
    for (std::size_t i = 0; i < n; ++i) {
      if (owned[i]) uses.push_back(when[i]);
    }
    std::sort(uses.begin(), uses.end());
    std::size_t drop = count - kMaxRememberedItems;
    const std::int64_t last = uses[drop - 1];
    for (std::size_t i = 0; i < n; ++i) {
      if (owned[i] && when[i] < last) owned[i] = 0, --drop;
    }
    for (std::size_t i = 0; drop && i < n; ++i) {
      if (owned[i] && when[i] == last) owned[i] = 0, --drop;
    }
  }
  // The view still points into the old pieces it was built with: kept until the next rebuild
  // (the others go now: a compaction without a rebuild in between must not pile them up).
  if (memo_.in_view) retired_.push_back(std::move(memo_));
  for (Piece& p : memo_adds_) {
    if (p.in_view) retired_.push_back(std::move(p));
  }
  memo_ = Piece{};
  memo_adds_.clear();
  memo_at_.clear();
  if (!count) return;
  std::vector<std::uint8_t> mark = owned;
  for (std::uint32_t i = 0; i < n; ++i) {
    if (!owned[i]) continue;
    for (auto range : {v.model.neighbours_of(i), v.model.similar_of(i)}) {
      for (auto x = range.first; x != range.second; ++x) mark[x->item] = 1;
    }
  }
  memo_ = verified(read_bundle(write_piece(v, marked(mark), owned, piece_meta(), &merged_gidx_)), manifest_.count);
  // The piece's owned items are the kept ones, in the view's order.
  memo_at_.assign(memo_.owned.size(), 0);
  std::size_t i = 0;
  for (std::uint32_t k = 0; k < memo_.owned.size(); ++k) {
    if (!memo_.owned[k]) continue;
    while (!owned[i]) ++i;
    memo_at_[k] = when[i++];
  }
}

json BundleSet::memo() const {
  if (!memo_.b) return nullptr;
  json at = json::array();
  for (std::uint32_t k = 0; k < memo_.owned.size(); ++k) {
    if (memo_.owned[k]) at.push_back(memo_at_[k]);
  }
  return Obj()("at", std::move(at))("bundle", base64(memo_.b->bytes));
}

BundleSet::Piece BundleSet::memo_piece(const json& memo, std::vector<std::int64_t>& last) const {
  const auto at = memo.is_object() ? memo.find("at") : memo.end();
  const auto text = memo.is_object() ? memo.find("bundle") : memo.end();
  if (!manifest_.count || at == memo.end() || !at->is_array() || text == memo.end() || !text->is_string()) return Piece{};
  const std::string& t = text->get_ref<const std::string&>();
  std::vector<std::uint8_t> bytes(t.size());
  std::size_t len = 0;
  if (sodium_base642bin(bytes.data(), bytes.size(), t.data(), t.size(), nullptr, &len, nullptr, sodium_base64_VARIANT_ORIGINAL) != 0) return Piece{};
  bytes.resize(len);
  try {
    Piece p = verified(read_bundle(std::move(bytes)), manifest_.count);
    last.assign(p.owned.size(), 0);
    std::size_t next = 0;
    for (std::uint32_t k = 0; k < p.owned.size(); ++k) {
      if (!p.owned[k] || next >= at->size()) continue;
      const json& x = (*at)[next++];
      if (x.is_number_integer()) last[k] = x.get<std::int64_t>();
    }
    return p;
  } catch (const Error&) {
    // Another build's items (the shop published a new catalog), or damaged: the pages fetch anew.
    return Piece{};
  }
}

void BundleSet::set_memo(const json& memo, const std::vector<std::string>& frames) {
  // Kept while a record opens (frames given) for opened(false); anything else lets go of them
  // (an erase must not leave the old items in memory).
  before_open_ = frames.empty() ? Memo{} : Memo{memo_, memo_at_, memo_adds_};
  memo_at_.clear();
  memo_ = memo_piece(memo, memo_at_);
  memo_adds_.clear();
  // A frame is [[now, events, recommended items, remembered pieces], ...] (engine.cpp `track`);
  // one that does not parse is the replay's to report (TAMPERED).
  for (std::size_t i = 1; manifest_.count && i < frames.size(); ++i) {
    const json changes = parse_known(frames[i], false);
    for (const auto& c : changes.is_array() ? changes : json::array()) {
      if (!c.is_array() || c.size() <= 3 || !c[3].is_array()) continue;
      for (const json& a : c[3]) {
        std::vector<std::int64_t> last;
        Piece p = memo_piece(a, last);
        if (!p.b || memo_adds_.size() >= kMaxMemoAdditions) continue;  // (more only in a record no engine wrote)
        for (std::uint32_t k = 0; k < p.owned.size(); ++k) {
          if (p.owned[k]) p.at = std::max(p.at, last[k]);
        }
        memo_adds_.push_back(std::move(p));
      }
    }
  }
  rebuild();
}

void BundleSet::opened(bool ok) {
  if (!ok) {
    memo_ = std::move(before_open_.piece);
    memo_at_ = std::move(before_open_.at);
    memo_adds_ = std::move(before_open_.adds);
    rebuild();
  }
  before_open_ = Memo{};
}

const Bundle& BundleSet::plain_view() const {
  if (!view_has_memo_) return view();
  if (!plain_) plain_ = merge(false, nullptr, nullptr);
  return *plain_;
}

void BundleSet::rebuild() {
  merged_.reset();
  plain_.reset();
  retired_.clear();
  merged_owned_.clear();
  merged_gidx_.clear();
  view_has_memo_ = false;
  if (!head_.b || !manifest_.count) return;  // a whole bundle is its own view
  view_has_memo_ = memo_.b || !memo_adds_.empty();
  memo_.in_view = memo_.b != nullptr;
  for (Piece& p : memo_adds_) p.in_view = true;
  merged_ = merge(true, &merged_owned_, &merged_gidx_);
}

std::unique_ptr<Bundle> BundleSet::merge(bool with_memo, std::vector<std::uint8_t>* owned_out, std::vector<std::uint32_t>* gidx_out) const {
  const Bundle& head = *head_.b;
  const Catalog& hc = head.catalog;
  const auto& windows = head.model.windows;
  // Every item once (an owned copy when there is one): newest shards, remembered items, the head.
  std::vector<const Piece*> pieces;
  for (auto it = shards_.rbegin(); it != shards_.rend(); ++it) pieces.push_back(&*it);
  if (with_memo) {
    if (memo_.b) pieces.push_back(&memo_);
    for (const Piece& p : memo_adds_) pieces.push_back(&p);
  }
  pieces.push_back(&head_);
  // id -> piece << 26 | item (at most 18 pieces; items of one piece below 2^26).
  std::unordered_map<std::string_view, std::uint32_t> where;
  auto owned = [&](std::uint32_t at) { return pieces[at >> 26]->owned[at & 0x3FFFFFF] != 0; };
  for (std::uint32_t k = 0; k < pieces.size(); ++k) {
    const Piece& p = *pieces[k];
    for (std::uint32_t i = 0; i < p.gidx.size(); ++i) {
      auto [it, added] = where.emplace(p.b->catalog.item(i).id, k << 26 | i);
      if (!added && p.owned[i] && !owned(it->second)) it->second = k << 26 | i;
    }
  }
  std::vector<std::int64_t> order;  // gidx << 32 | piece << 26 | item: in the whole catalog's order
  order.reserve(where.size());
  for (const auto& [id, at] : where) order.push_back(static_cast<std::int64_t>(pieces[at >> 26]->gidx[at & 0x3FFFFFF]) << 32 | at);
  std::sort(order.begin(), order.end());

  auto m = std::make_unique<Bundle>();
  m->meta = head.meta;
  m->offers = head.offers;
  Catalog& c = m->catalog;
  c.categories_ = hc.categories_;
  c.by_path_ = hc.by_path_;
  Model& model = m->model;
  model.windows = windows;
  model.popularity.resize(windows.size());  // (as the reader does: no other instantiation)
  for (auto& values : model.popularity) values.assign(order.size(), 0);
  if (!head.model.rebuy_days.empty()) {
    model.rebuy_days.assign(order.size(), 0);
    model.rebuy_share.assign(order.size(), 0);
  }
  c.items_.reserve(order.size());
  for (const std::int64_t key : order) {
    const Piece& p = *pieces[key >> 26 & 63];
    const Catalog& pc = p.b->catalog;
    const Model& pm = p.b->model;
    const auto i = static_cast<std::uint32_t>(key & 0x3FFFFFF);
    const auto k = static_cast<std::uint32_t>(c.items_.size());
    Item it = pc.item(i);
    it.category = it.category == kNone ? kNone : hc.category_id(pc.category(it.category).path);
    it.tag_begin = static_cast<std::uint32_t>(c.tags_.size());
    for (std::uint16_t t = 0; t < it.tag_count; ++t) c.tags_.push_back(pc.tag(pc.item(i), t));
    c.by_id_.emplace(it.id, k);
    c.items_.push_back(it);
    for (std::size_t w = 0; w < windows.size(); ++w) model.popularity[w][k] = pm.popularity_of(pm.window(windows[w].name), i);
    if (!model.rebuy_days.empty() && !pm.rebuy_days.empty()) {
      model.rebuy_days[k] = pm.rebuy_days[i];
      model.rebuy_share[k] = pm.rebuy_share[i];
    }
    if (owned_out) owned_out->push_back(p.owned[i]);
    if (gidx_out) gidx_out->push_back(static_cast<std::uint32_t>(key >> 32));
  }
  // Variant ids as each piece resolves them (newest first), once every own id is in the view.
  std::vector<std::uint32_t> product_of;
  for (const Piece* p : pieces) {
    for (const auto& [id, i] : p->b->catalog.variants()) {
      c.variant_ids_.emplace_back(id);
      product_of.push_back(c.index_of(p->b->catalog.item(i).id));
    }
  }
  for (std::size_t k = 0; k < product_of.size(); ++k) c.by_id_.emplace(c.variant_ids_[k], product_of[k]);
  // The lists of owned items, their neighbours found by id in the view.
  auto lists = [&](bool similar, std::vector<std::uint32_t>& offsets, std::vector<Neighbour>& out) {
    offsets.assign(1, 0);
    for (const std::int64_t key : order) {
      const Piece& p = *pieces[key >> 26 & 63];
      const Model& pm = p.b->model;
      const auto i = static_cast<std::uint32_t>(key & 0x3FFFFFF);
      auto [b, e] = similar ? pm.similar_of(i) : pm.neighbours_of(i);
      for (auto x = b; p.owned[i] && x != e; ++x) {
        const std::uint32_t j = c.index_of(p.b->catalog.item(x->item).id);
        if (j != kNone) out.push_back({j, x->score});
      }
      offsets.push_back(static_cast<std::uint32_t>(out.size()));
    }
  };
  lists(false, model.neighbour_offsets, model.neighbours);
  lists(true, model.similar_offsets, model.similar);
  return m;
}

}  // namespace emma
