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
  auto bad = [](const std::string& what) -> void { throw Error(code::bad_bundle, "the bundle's META \"shards\": " + what); };
  if (!it->is_object()) bad("is not an object");
  const json& s = *it;
  const json* files = s.contains("files") && s["files"].is_array() ? &s["files"] : nullptr;
  const json* sums = s.contains("sums") && s["sums"].is_array() ? &s["sums"] : nullptr;
  if (!files || !sums || files->empty() || files->size() != sums->size() || files->size() > 1u << 24) {
    bad("needs \"files\" and \"sums\", two arrays of one length");
  }
  m.count = static_cast<std::uint32_t>(files->size());
  for (std::size_t i = 0; i < files->size(); ++i) {
    const json& f = (*files)[i];
    const json& h = (*sums)[i];
    // A name, not a path or a URL: shards sit next to the head.
    if (!f.is_string() || f.get_ref<const std::string&>().empty() || f.get_ref<const std::string&>().size() > 200 ||
        f.get_ref<const std::string&>().find_first_of("/\\:?#") != std::string::npos) {
      bad("files[" + std::to_string(i) + "] is not a plain file name");
    }
    if (!h.is_string() || h.get_ref<const std::string&>().size() != 32) bad("sums[" + std::to_string(i) + "] is not 32 hex digits");
    m.files.push_back(f.get<std::string>());
    m.sums.push_back(h.get<std::string>());
  }
  if (s.contains("items") && s["items"].is_number_unsigned()) m.items = s["items"].get<std::uint64_t>();
  return m;
}

std::vector<std::uint32_t> shards_for_page(const ShardManifest& manifest, const RecommendRequest& request) {
  std::vector<std::uint32_t> out;
  if (manifest.count == 0) return out;
  auto add = [&](const std::string& id) {
    const std::uint32_t s = shard_of(id, manifest.count);
    if (out.size() < kMaxShardsPerRequest && std::find(out.begin(), out.end(), s) == out.end()) out.push_back(s);
  };
  if (request.item) add(*request.item);
  for (const auto& id : request.items) add(id);
  return out;
}

}  // namespace emma
