#include "bundle.hpp"

#include <cstring>

#include <sodium.h>

#include "error.hpp"

namespace emma {
namespace {

constexpr char kMagic[8] = {'E', 'M', 'M', 'A', 'B', 'N', 'D', 'L'};
constexpr std::size_t kHeader = 32;
constexpr std::size_t kChecksum = 16;

void put_u16(std::vector<std::uint8_t>& out, std::uint16_t v) {
  out.push_back(v & 0xFF);
  out.push_back(v >> 8);
}
void put_u32(std::vector<std::uint8_t>& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back((v >> (8 * i)) & 0xFF);
}
std::uint32_t get_u32(const std::uint8_t* p) {
  return p[0] | (p[1] << 8) | (p[2] << 16) | (static_cast<std::uint32_t>(p[3]) << 24);
}

void checksum(const std::uint8_t* data, std::size_t size, std::uint8_t out[kChecksum]) {
  crypto_generichash(out, kChecksum, data, size, nullptr, 0);
}

}  // namespace

std::vector<std::uint8_t> write_bundle(const std::vector<BundleSection>& sections) {
  std::vector<std::uint8_t> out(kMagic, kMagic + 8);
  put_u16(out, kBundleVersion);
  put_u16(out, 0);
  put_u32(out, static_cast<std::uint32_t>(sections.size()));
  out.resize(kHeader, 0);
  for (const auto& s : sections) {
    if (s.tag.size() != 4) throw Error(code::internal, "bundle section tags are 4 characters");
    out.insert(out.end(), s.tag.begin(), s.tag.end());
    put_u32(out, static_cast<std::uint32_t>(s.payload.size()));
    out.insert(out.end(), s.payload.begin(), s.payload.end());
  }
  checksum(out.data() + kHeader, out.size() - kHeader, out.data() + 16);
  return out;
}

std::vector<BundleSection> read_bundle_sections(const std::uint8_t* data, std::size_t size) {
  if (size == 0 || data == nullptr) throw Error(code::bad_bundle, "the bundle is empty (0 bytes)");
  if (size < kHeader || std::memcmp(data, kMagic, 8) != 0) {
    // The classic failure: a server answered the bundle URL with an HTML page.
    const bool html = size > 0 && (data[0] == '<' || (size > 3 && data[0] == 0xEF));
    throw Error(code::bad_bundle,
                std::string("not a Tante Emma bundle: the first bytes are not \"EMMABNDL\"") +
                    (html ? " (it looks like an HTML or text page; check the bundle URL)" : "") +
                    (size < kHeader ? "; it is only " + std::to_string(size) + " bytes long" : ""));
  }
  const std::uint16_t version = data[8] | (data[9] << 8);
  if (version > kBundleVersion) {
    throw Error(code::unsupported, "bundle format version " + std::to_string(version) +
                                       " is newer than this engine reads (" +
                                       std::to_string(kBundleVersion) + "); update tante-emma");
  }
  if (version == 0) throw Error(code::bad_bundle, "bundle format version 0 at byte 8 is invalid");
  std::uint8_t sum[kChecksum];
  checksum(data + kHeader, size - kHeader, sum);
  if (std::memcmp(sum, data + 16, kChecksum) != 0) {
    throw Error(code::bad_bundle,
                "the bundle's checksum (bytes 16-31) does not match its content: the file is "
                "truncated or damaged (" + std::to_string(size) + " bytes received)");
  }
  const std::uint32_t count = get_u32(data + 12);
  std::vector<BundleSection> sections;
  std::size_t at = kHeader;
  for (std::uint32_t i = 0; i < count; ++i) {
    if (size - at < 8) {
      throw Error(code::bad_bundle, "section " + std::to_string(i) + " header at byte " +
                                        std::to_string(at) + " runs past the end of the bundle");
    }
    BundleSection s;
    s.tag.assign(reinterpret_cast<const char*>(data + at), 4);
    const std::uint32_t len = get_u32(data + at + 4);
    at += 8;
    if (len > size - at) {
      throw Error(code::bad_bundle, "section \"" + s.tag + "\" at byte " + std::to_string(at - 8) +
                                        " claims " + std::to_string(len) +
                                        " bytes but only " + std::to_string(size - at) + " remain");
    }
    s.payload.assign(reinterpret_cast<const char*>(data + at), len);
    at += len;
    sections.push_back(std::move(s));
  }
  if (at != size) {
    throw Error(code::bad_bundle, std::to_string(size - at) + " stray bytes after the last section at byte " +
                                      std::to_string(at));
  }
  return sections;
}

Catalog read_bundle(const std::uint8_t* data, std::size_t size) {
  const auto sections = read_bundle_sections(data, size);
  for (const auto& s : sections) {
    if (s.tag == "CATJ") {
      JsonLimits limits;
      limits.max_bytes = 512u << 20;
      return Catalog::from_json(parse_json(s.payload, code::bad_bundle, "the bundle's catalog section", limits));
    }
  }
  throw Error(code::bad_bundle, "the bundle has no catalog section (\"CATJ\")");
}

}  // namespace emma
