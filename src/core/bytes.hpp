// Little-endian byte writing and bounds-checked reading for the bundle's binary sections.
// A reader error names the section and the byte offset inside it.
#pragma once
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "error.hpp"

namespace emma {

class ByteWriter {
 public:
  void u8(std::uint8_t v) { out_.push_back(v); }
  void u16(std::uint16_t v) { raw(&v, 2); }
  void u32(std::uint32_t v) { raw(&v, 4); }
  void f32(float v) { raw(&v, 4); }
  void f64(double v) { raw(&v, 8); }
  // LEB128: 7 bits a byte, low first, so small counts and deltas take one byte.
  void varint(std::uint32_t v) {
    for (; v >= 0x80; v >>= 7) u8(static_cast<std::uint8_t>(v | 0x80));
    u8(static_cast<std::uint8_t>(v));
  }
  // Zigzag: small negative deltas stay small too.
  void svarint(std::int64_t v) { varint(static_cast<std::uint32_t>(v < 0 ? (~v << 1) | 1 : v << 1)); }
  void bytes(std::string_view s) { out_.insert(out_.end(), s.begin(), s.end()); }
  std::string take() { return std::string(out_.begin(), out_.end()); }
  std::size_t size() const { return out_.size(); }

 private:
  // The wasm and x86 targets are little-endian, which the format is.
  void raw(const void* p, std::size_t n) {
    const auto* b = static_cast<const std::uint8_t*>(p);
    out_.insert(out_.end(), b, b + n);
  }
  std::vector<std::uint8_t> out_;
};

class ByteReader {
 public:
  ByteReader(std::string_view data, std::string section) : data_(data), section_(std::move(section)) {}

  std::uint8_t u8() { return get<std::uint8_t>(); }
  std::uint16_t u16() { return get<std::uint16_t>(); }
  std::uint32_t u32() { return get<std::uint32_t>(); }
  float f32() { return get<float>(); }
  double f64() { return get<double>(); }
  std::uint32_t varint() {
    std::uint64_t v = 0;
    for (int shift = 0;; shift += 7) {
      const std::uint8_t b = u8();
      v |= static_cast<std::uint64_t>(b & 0x7F) << shift;
      if (!(b & 0x80)) break;
      if (shift == 28) fail("a number runs over 5 bytes");
    }
    if (v > 0xFFFFFFFFu) fail("a number is over 32 bits");
    return static_cast<std::uint32_t>(v);
  }
  std::int64_t svarint() {
    const std::uint32_t v = varint();
    return (v & 1) ? -static_cast<std::int64_t>(v >> 1) - 1 : static_cast<std::int64_t>(v >> 1);
  }
  std::string_view bytes(std::size_t n) {
    need(n);
    auto v = data_.substr(at_, n);
    at_ += n;
    return v;
  }
  // A count of records of `record_size` bytes that must fit in what is left.
  std::uint32_t count(std::size_t record_size) {
    const std::uint32_t n = u32();
    if (record_size && n > (data_.size() - at_) / record_size) fail("a count of " + std::to_string(n) + " runs past the end");
    return n;
  }
  std::size_t offset() const { return at_; }
  bool done() const { return at_ == data_.size(); }
  [[noreturn]] void fail(const std::string& what) const {
    throw Error(code::bad_bundle, "bundle section \"" + section_ + "\" at byte " + std::to_string(at_) + ": " + what);
  }

 private:
  void need(std::size_t n) const {
    if (n > data_.size() - at_) fail("needs " + std::to_string(n) + " more bytes, " + std::to_string(data_.size() - at_) + " left");
  }
  template <typename T>
  T get() {
    need(sizeof(T));
    T v;
    std::memcpy(&v, data_.data() + at_, sizeof(T));
    at_ += sizeof(T);
    return v;
  }
  std::string_view data_;
  std::string section_;
  std::size_t at_ = 0;
};

}  // namespace emma
