// similar: alternatives to the page's item (substitutes: the same kind of thing in another
// colour, size, brand or price), as opposed to bought_together (complements). The evidence is
// the bundle's content neighbours (SIMS, see content_similarity.hpp); co-purchase only adds
// where the items are also alike.
#pragma once
#include <cstdint>
#include <vector>

#include "bundle.hpp"
#include "segments.hpp"

namespace emma {

// A content neighbour at least this alike is a near-duplicate of its anchor (another colour
// of the same thing): bought_together leaves it out.
inline constexpr float kNearDuplicate = 0.5f;

// Scores in two tiers:
//   [1, 2.4]  content neighbours (1 + likeness), plus a third of their co-purchase score
//   (0, 1)    the same leaf category (0.5), its sibling categories (0.2), the same brand
//             (0.1), co-purchase only within the leaf category
// both lifted by popularity (0.05). With consent (`taste` not null) a lean within each tier
// toward the shopper's brand (+0.08) and usual price (within 25% of their median: +0.08):
// enough to reorder alternatives that are about as alike, never to put an unlike item above a
// like one. Without consent the page's item alone decides.
// `source[i]` is set to `anchor` for scored items.
void similar_scores(const Bundle& bundle, std::uint32_t anchor, const std::vector<float>& pop,
                    std::vector<double>& score, std::vector<std::uint32_t>& source, const Taste* taste = nullptr);

// Why `item` is like `anchor`: "Same kind: <leaf category's name>", "Also from <brand>",
// "Similar price" (within 25%), with consent "A brand you like: <brand>" (another brand than
// the anchor's) and "In your usual price range", else "Similar to <anchor's title>".
// Appended to `reasons` while it has fewer than `max`.
void similar_reasons(const Catalog& c, std::uint32_t anchor, std::uint32_t item, json& reasons, std::size_t max,
                     const Taste* taste = nullptr);

}  // namespace emma
