#include "similar.hpp"

#include <algorithm>
#include <string>
#include <utility>

#include "json_build.hpp"

namespace emma {
namespace {

// One reason, while there is room: a kind, and a text ending with what the items share.
void add(json& reasons, std::size_t max, const char* kind, const char* text, std::string_view tail = {}) {
  if (reasons.size() < max) reasons.push_back(Obj()("kind", kind)("text", text + std::string(tail)));
}

bool near_price(double a, double b) { return a > 0 && b > 0 && std::max(a, b) <= 1.25 * std::min(a, b); }
bool your_brand(const Taste* t, const Item& it) { return t && !t->brand.empty() && it.brand == t->brand; }
bool your_price(const Taste* t, const Item& it) { return t && near_price(t->price, it.price); }

}  // namespace

void similar_scores(const Bundle& bundle, std::uint32_t anchor, const std::vector<float>& pop,
                    std::vector<double>& score, std::vector<std::uint32_t>& source, const Taste* taste) {
  const Catalog& c = bundle.catalog;
  const Model& m = bundle.model;
  const Item& a = c.item(anchor);
  const std::uint32_t parent = a.category == kNone ? kNone : c.category(a.category).parent;
  for (std::uint32_t i = 0; i < c.size(); ++i) {
    if (i == anchor) continue;
    const Item& it = c.item(i);
    double s = 0;
    if (a.category != kNone && it.category == a.category) s = 0.5;
    else if (parent != kNone && it.category != kNone && c.category(it.category).parent == parent) s = 0.2;
    if (!a.brand.empty() && it.brand == a.brand) s += 0.1;
    score[i] = s;
  }
  auto [sb, se] = m.similar_of(anchor);
  for (auto x = sb; x != se; ++x) {
    if (x->item != anchor) score[x->item] = 1 + x->score;
  }
  // Bought together AND alike (a content neighbour, or of the same leaf category): the
  // shop's customers confirm the alternative. Bought together only: a complement, not here.
  auto [nb, ne] = m.neighbours_of(anchor);
  for (auto x = nb; x != ne; ++x) {
    double& s = score[x->item];
    if (s >= 1) s += x->score / 3;
    else if (s >= 0.5) s += 0.3 * x->score;
  }
  for (std::uint32_t i = 0; i < c.size(); ++i) {
    double& s = score[i];
    if (s <= 0) continue;
    const Item& it = c.item(i);
    const double lean = 0.08 * your_brand(taste, it) + 0.08 * your_price(taste, it);
    s = s >= 1 ? s + 0.05 * pop[i] + lean : std::min(s + 0.05 * pop[i] + lean, 0.99);
    source[i] = anchor;
  }
}

void similar_reasons(const Catalog& c, std::uint32_t anchor, std::uint32_t item, json& reasons, std::size_t max,
                     const Taste* taste) {
  const Item& a = c.item(anchor);
  const Item& it = c.item(item);
  const std::size_t had = reasons.size();
  if (a.category != kNone && it.category == a.category) add(reasons, max, "same_kind", "Same kind: ", c.category(a.category).name);
  if (!a.brand.empty() && it.brand == a.brand) add(reasons, max, "same_brand", "Also from ", a.brand);
  if (near_price(a.price, it.price)) add(reasons, max, "similar_price", "Similar price");
  if (your_brand(taste, it) && it.brand != a.brand) add(reasons, max, "your_brand", "A brand you like: ", it.brand);
  if (your_price(taste, it)) add(reasons, max, "your_price", "In your usual price range");
  if (reasons.size() == had) add(reasons, max, "similar", "Similar to ", a.title);
}

}  // namespace emma
