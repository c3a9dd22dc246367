#include "content_similarity.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <unordered_map>
#include <unordered_set>

namespace emma {
namespace {

// Field weights: the title says what the thing is; the leaf category says what kind; brand,
// tags, attributes and price band only tip the balance between items of one kind.
constexpr float kTitle = 1.0f, kCompoundPart = 0.6f, kLeaf = 1.2f, kParent = 0.4f, kBrand = 0.5f, kTag = 0.4f,
                kAttribute = 0.4f, kPrice = 0.3f;

const std::unordered_set<std::string>& stop_words() {
  static const std::unordered_set<std::string> s = {
      "the", "and", "of", "with", "for", "in", "on", "a", "an", "to", "by", "or",  // English
      "und", "mit", "fuer", "der", "die", "das", "den", "dem", "des", "von", "aus", "im", "in", "zum", "zur",
      "ein", "eine", "oder"};  // German
  return s;
}

// Latin-1 letters as UTF-8 (C3 xx): German folds to its two-letter spellings, the rest to the
// bare letter, so "Müller", "MUELLER" and "mueller" are one word.
void fold_c3(unsigned char b, std::string& out) {
  switch (b | 0x20) {  // upper and lower case differ in bit 5 in this block
    case 0xA4: out += "ae"; return;
    case 0xB6: out += "oe"; return;
    case 0xBC: out += "ue"; return;
    default: break;
  }
  if (b == 0x9F) { out += "ss"; return; }
  const unsigned char l = b | 0x20;
  if (l >= 0xA0 && l <= 0xA5) out += 'a';
  else if (l == 0xA7) out += 'c';
  else if (l >= 0xA8 && l <= 0xAB) out += 'e';
  else if (l >= 0xAC && l <= 0xAF) out += 'i';
  else if (l == 0xB1) out += 'n';
  else if (l >= 0xB2 && l <= 0xB8) out += 'o';
  else if (l >= 0xB9 && l <= 0xBD) out += 'u';
  else out += static_cast<char>(0xC3), out += static_cast<char>(b);  // keep what has no plain spelling
}

// One suffix family at a time, so singular and plural meet: English plurals (-ies, -es after
// s/x/z/ch/sh, -s), then German -en/-e (Kerze, Kerzen -> kerz) and -n. Stems keep 3 letters.
std::string stem(std::string w) {
  auto ends = [&](const char* s) {
    const std::size_t n = std::char_traits<char>::length(s);
    return w.size() >= n + 3 && w.compare(w.size() - n, n, s) == 0;
  };
  if (std::all_of(w.begin(), w.end(), [](char c) { return c >= '0' && c <= '9'; })) return w;
  if (ends("ies")) return w.substr(0, w.size() - 3) + "y";
  if (ends("sses") || ends("xes") || ends("zes") || ends("ches") || ends("shes")) w.resize(w.size() - 2);
  else if (ends("s") && !ends("ss") && !ends("us")) w.pop_back();
  if (ends("en")) w.resize(w.size() - 2);
  else if (ends("e") || ends("n")) w.pop_back();
  return w;
}

struct Term {
  std::uint32_t token;
  float weight;
};

class Vocabulary {
 public:
  std::uint32_t id(const std::string& t) {
    auto [it, added] = ids_.try_emplace(t, static_cast<std::uint32_t>(ids_.size()));
    return it->second;
  }
  bool has(const std::string& t) const { return ids_.count(t) > 0; }
  std::size_t size() const { return ids_.size(); }

 private:
  std::unordered_map<std::string, std::uint32_t> ids_;
};

std::string attribute_group(const std::string& attributes_json) {
  if (attributes_json.find("item_group_id") == std::string::npos) return {};
  const json a = json::parse(attributes_json, nullptr, false);
  const auto it = a.is_object() ? a.find("item_group_id") : a.end();
  return it != a.end() && it->is_string() ? it->get<std::string>() : std::string();
}

void price_terms(double price, std::vector<std::pair<std::string, float>>& out) {
  if (price <= 0) return;
  // Two overlapping bands of x1.5 each: prices within ~20% share at least one.
  const double b = std::log(price) / std::log(1.5);
  out.emplace_back("p:" + std::to_string(static_cast<long long>(std::floor(b))), kPrice);
  out.emplace_back("q:" + std::to_string(static_cast<long long>(std::floor(b + 0.5))), kPrice);
}

}  // namespace

std::vector<std::string> content_words(std::string_view text) {
  std::vector<std::string> out;
  std::string w;
  auto flush = [&] {
    if ((w.size() >= 2 || (w.size() == 1 && w[0] <= '9')) && !stop_words().count(w)) out.push_back(stem(w));
    w.clear();
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) w += static_cast<char>(c);
    else if (c >= 'A' && c <= 'Z') w += static_cast<char>(c + 32);
    else if (c == 0xC3 && i + 1 < text.size()) fold_c3(static_cast<unsigned char>(text[++i]), w);
    else if (c >= 0x80) w += static_cast<char>(c);  // other scripts: kept as they are
    else flush();
  }
  flush();
  return out;
}

std::vector<std::vector<Neighbour>> content_neighbours(const std::vector<ItemInput>& items, const ContentOptions& o) {
  const std::size_t n = items.size();
  std::vector<std::vector<Neighbour>> result(n);
  if (n < 2 || o.per_item == 0) return result;

  // 1. Every item's raw terms. The title's words first, so the vocabulary knows them before
  //    compounds are split against it.
  std::vector<std::vector<std::string>> words(n);
  std::unordered_set<std::string> vocabulary;
  for (std::size_t i = 0; i < n; ++i) {
    words[i] = content_words(items[i].title);
    vocabulary.insert(words[i].begin(), words[i].end());
  }
  Vocabulary vocab;
  std::vector<std::vector<Term>> vec(n);
  std::vector<std::string> group(n);
  std::vector<std::uint32_t> df;
  for (std::size_t i = 0; i < n; ++i) {
    const ItemInput& it = items[i];
    group[i] = attribute_group(it.attributes_json);
    std::vector<std::pair<std::string, float>> raw;
    for (const auto& w : words[i]) {
      raw.emplace_back(w, kTitle);
      // A German compound's head says what it is ("Teelichthalter" is a "Halter"): the longest
      // tail of 4+ letters that the catalog also uses as a word of its own, and its modifier.
      if (w.size() < 8) continue;
      for (std::size_t cut = 3; cut + 4 <= w.size(); ++cut) {
        const std::string head = w.substr(cut);
        if (!vocabulary.count(head)) continue;
        raw.emplace_back(head, kCompoundPart);
        std::string mod = stem(w.substr(0, cut));
        if (!vocabulary.count(mod) && mod.size() > 3 && mod.back() == 's') mod = stem(mod.substr(0, mod.size() - 1));  // Fugen-s
        if (vocabulary.count(mod)) raw.emplace_back(mod, kCompoundPart);
        break;
      }
    }
    std::string path;
    for (std::size_t d = 0; d < it.category_path.size(); ++d) {
      path += (d ? "/" : "") + it.category_path[d];
      raw.emplace_back("c:" + path, d + 1 == it.category_path.size() ? kLeaf : kParent);
    }
    if (!it.brand.empty()) {
      std::string b = "b:";
      for (const auto& w : content_words(it.brand)) b += w + " ";
      raw.emplace_back(b, kBrand);
    }
    for (const auto& t : it.tags) raw.emplace_back("t:" + t, kTag);
    if (!it.attributes_json.empty()) {
      const json a = json::parse(it.attributes_json, nullptr, false);
      if (a.is_object()) {
        for (const auto& [k, v] : a.items()) {
          if (k == "variants" || k == "item_group_id" || !(v.is_string() || v.is_number() || v.is_boolean())) continue;
          const std::string s = v.is_string() ? v.get<std::string>() : v.dump();
          if (s.size() <= 64) raw.emplace_back("a:" + k + "=" + s, kAttribute);
        }
      }
    }
    price_terms(it.price, raw);
    // One term per token: the strongest field that holds it.
    std::unordered_map<std::uint32_t, float> terms;
    for (const auto& [t, w] : raw) {
      float& x = terms[vocab.id(t)];
      x = std::max(x, w);
    }
    for (const auto& [t, w] : terms) vec[i].push_back({t, w});
    std::sort(vec[i].begin(), vec[i].end(), [](const Term& a, const Term& b) { return a.token < b.token; });
    df.resize(vocab.size(), 0);
    for (const auto& t : vec[i]) ++df[t.token];
  }

  // 2. TF-IDF weights, unit length; the inverted index (postings in catalog order).
  std::vector<std::vector<std::uint32_t>> postings(vocab.size());
  for (std::size_t i = 0; i < n; ++i) {
    double norm = 0;
    for (auto& t : vec[i]) {
      t.weight *= static_cast<float>(std::log(1.0 + static_cast<double>(n) / df[t.token]));
      norm += static_cast<double>(t.weight) * t.weight;
    }
    norm = std::sqrt(norm);
    for (auto& t : vec[i]) {
      t.weight = norm > 0 ? static_cast<float>(t.weight / norm) : 0.f;
      postings[t.token].push_back(static_cast<std::uint32_t>(i));
    }
  }
  auto cosine = [&](std::size_t a, std::size_t b) {
    double s = 0;
    auto x = vec[a].begin(), y = vec[b].begin();
    while (x != vec[a].end() && y != vec[b].end()) {
      if (x->token < y->token) ++x;
      else if (y->token < x->token) ++y;
      else s += static_cast<double>((x++)->weight) * (y++)->weight;
    }
    return s;
  };

  // 3. Per item: candidates from the (capped) postings, ranked by their partial dot product,
  //    the best few scored exactly.
  std::vector<float> acc(n, 0.f);
  std::vector<std::uint32_t> touched;
  const std::size_t rescore = o.per_item * 8;
  for (std::size_t i = 0; i < n; ++i) {
    if (o.progress && (i % 10000 == 0)) o.progress(i, n);
    for (const auto& t : vec[i]) {
      const auto& p = postings[t.token];
      auto b = p.begin(), e = p.end();
      if (p.size() > o.posting_cap) {
        const auto at = std::lower_bound(p.begin(), p.end(), static_cast<std::uint32_t>(i)) - p.begin();
        const auto half = static_cast<std::ptrdiff_t>(o.posting_cap / 2);
        const auto from = std::clamp<std::ptrdiff_t>(at - half, 0, static_cast<std::ptrdiff_t>(p.size() - o.posting_cap));
        b = p.begin() + from;
        e = b + static_cast<std::ptrdiff_t>(o.posting_cap);
      }
      for (auto j = b; j != e; ++j) {
        if (acc[*j] == 0.f) touched.push_back(*j);
        acc[*j] += t.weight;  // the candidate's own weight is applied when scored exactly
      }
    }
    std::vector<std::uint32_t> cands;
    for (auto j : touched) {
      if (j != i && (group[i].empty() || group[j] != group[i])) cands.push_back(j);
    }
    // Equals nearest the anchor in catalog order first (see the sort below).
    auto nearer = [i](std::uint32_t a, std::uint32_t b) {
      const std::uint32_t da = a > i ? a - i : i - a, db = b > i ? b - i : i - b;
      return da != db ? da < db : a < b;
    };
    if (cands.size() > rescore) {
      std::nth_element(cands.begin(), cands.begin() + static_cast<std::ptrdiff_t>(rescore), cands.end(),
                       [&](auto a, auto b) { return acc[a] != acc[b] ? acc[a] > acc[b] : nearer(a, b); });
      cands.resize(rescore);
    }
    for (auto j : touched) acc[j] = 0.f;
    touched.clear();
    std::vector<Neighbour>& out = result[i];
    for (auto j : cands) {
      const double s = cosine(i, j);
      if (s >= o.min_score) out.push_back({j, static_cast<float>(std::min(s, 1.0))});
    }
    // Best first; equal scores nearest the anchor in catalog order, then the earlier one, so a
    // rebuild from the same catalog is identical. Nearest rather than first: a feed lists a
    // product line's items together, the earliest items would otherwise be everyone's tie
    // winners, and the order is symmetric, so two equals tend to list each other (which the
    // bundle stores in one bit, bundle.cpp SIMS).
    std::sort(out.begin(), out.end(), [&](const Neighbour& a, const Neighbour& b) {
      return a.score != b.score ? a.score > b.score : nearer(a.item, b.item);
    });
    if (out.size() > o.per_item) out.resize(o.per_item);
  }
  if (o.progress) o.progress(n, n);
  return result;
}

}  // namespace emma
