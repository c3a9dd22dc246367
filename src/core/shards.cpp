#include "shards.hpp"

#include <algorithm>

#include "error.hpp"

namespace emma {

std::uint32_t shard_of(std::string_view id, std::uint32_t count) {
  std::uint32_t h = 2166136261u;
  for (unsigned char c : id) {
    h ^= c;
    h *= 16777619u;
  }
  return count ? h % count : 0;
}

ShardManifest read_manifest(const json& meta) {
  ShardManifest m;
  const auto it = meta.find("shards");
  if (it == meta.end()) return m;
  Fields f(*it, "the bundle's META.shards", code::bad_bundle);
  const auto count = f.opt_int("count", 1, 1 << 24);
  if (!count) f.fail("count", "is required (the number of shards)");
  m.count = static_cast<std::uint32_t>(*count);
  m.build = f.str("build", 16);
  m.stem = f.str("stem", 100);
  // A name, not a path or a URL: shards sit next to the head.
  if (m.build.size() != 16 || m.stem.empty() || m.stem.find_first_of("/\\:?#%") != std::string::npos) {
    f.fail("stem", "and build must be a plain file name and 16 hex digits");
  }
  m.items = static_cast<std::uint64_t>(f.opt_int("items", 0, INT64_C(1) << 40).value_or(0));
  return m;
}

std::string shard_file(const ShardManifest& m, std::uint32_t index) {
  return m.stem + "." + m.build + "." + std::to_string(index) + ".bundle";
}

std::vector<std::uint32_t> shards_for_page(const ShardManifest& manifest, const RecommendRequest& request,
                                           const std::function<std::string_view(const std::string&)>& product_of) {
  std::vector<std::uint32_t> out;
  if (manifest.count == 0) return out;
  auto add = [&](const std::string& id) {
    for (const std::string_view x : {std::string_view(id), product_of ? product_of(id) : std::string_view()}) {
      const std::uint32_t s = shard_of(x, manifest.count);
      if (!x.empty() && out.size() < kMaxShardsPerRequest && std::find(out.begin(), out.end(), s) == out.end()) out.push_back(s);
    }
  };
  if (request.item) add(*request.item);
  for (const auto& id : request.items) add(id);
  return out;
}

}  // namespace emma
