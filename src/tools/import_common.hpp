// What every importer of a shop's files shares: CSV records that may span lines, text that is
// not UTF-8, bad rows counted and reported with file and line, and customer identifiers
// replaced by a salted hash the moment they are read.
#pragma once
#include <cstdint>
#include <istream>
#include <string>
#include <vector>

#include "core/catalog.hpp"

namespace emma_tools {

// Bad rows: every one is counted; the first few are kept as `file:line: field "value": problem`.
// The build goes on and ends with a summary; past --max-bad-rows it fails.
class BadRows {
 public:
  static constexpr std::size_t kShown = 10;
  void add(const std::string& file, std::uint64_t line, const std::string& field, const std::string& value,
           const std::string& problem);
  // For fields whose value must never be printed (customer identifiers).
  void add_plain(const std::string& file, std::uint64_t line, const std::string& field, const std::string& problem);
  void add_message(std::string message);  // already `file:line: ...`
  std::uint64_t count() const { return count_; }
  const std::vector<std::string>& first() const { return first_; }
  void merge(const BadRows& other);

 private:
  std::uint64_t count_ = 0;
  std::vector<std::string> first_;
};

// --max-bad-rows: "25" (rows) or "0.5%" (of the rows read). Default 1%: a feed with a few
// broken entries still builds; one whose format was misread (most rows bad) does not.
struct BadRowLimit {
  double fraction = 0.01;
  std::uint64_t absolute = 0;
  bool is_absolute = false;
  static BadRowLimit parse(const std::string& text);
  bool exceeded(std::uint64_t bad, std::uint64_t rows) const;
  std::string describe() const;
};

// Customer identifiers (e-mail addresses) become BLAKE2b-128 of a random salt and the
// identifier: the salt is made per process (one build) and never written, so the hashes
// cannot be joined with another build's or reversed by guessing addresses.
class CustomerHasher {
 public:
  CustomerHasher();
  ~CustomerHasher();
  CustomerHasher(const CustomerHasher&) = delete;
  CustomerHasher& operator=(const CustomerHasher&) = delete;
  std::string hash(const std::string& identifier) const;  // 32 hex characters; "" stays ""

 private:
  unsigned char salt_[32];
};

// One CSV record (RFC 4180: quoted fields may hold separators, quotes and line breaks).
// `line` is advanced by the physical lines read; `first_line` is where the record began.
// A UTF-8 byte-order mark before the first record is skipped. Returns false at the end.
class CsvReader {
 public:
  CsvReader(std::istream& in, char separator = ',') : in_(in), sep_(separator) {}
  bool next(std::vector<std::string>& fields);
  std::uint64_t first_line() const { return first_line_; }
  std::uint64_t line() const { return line_; }
  bool unterminated_quote() const { return unterminated_; }
  // Lines already consumed by the caller (a header read another way).
  void skip_lines(std::uint64_t n) {
    line_ += n;
    started_ = true;
  }

 private:
  std::istream& in_;
  char sep_;
  std::uint64_t line_ = 0, first_line_ = 0;
  bool started_ = false, unterminated_ = false;
};

// Text from a shop export that is not UTF-8 is taken as Windows-1252 (what spreadsheet
// programs write); returns true when it had to convert.
bool to_utf8(std::string& text);
// The Unicode code point of one Windows-1252 byte.
unsigned cp1252(unsigned char byte);

std::string trim(const std::string& s);
std::string lower(std::string s);

// "12.99 EUR", "EUR 12.99", "12,99 EUR", "12.99" -> amount and currency (may be empty).
bool parse_amount(const std::string& text, double& amount, std::string& currency);

// "2024-03-05 14:22:10 +0100", "2024-03-05T14:22:10Z", "2024-03-05" -> ms (UTC).
bool parse_time_zoned(const std::string& text, std::int64_t& ms);

// An item as an importer read it, before variants are folded: `group` names the product
// (item_group_id, a Shopify handle, a WooCommerce parent), empty for a product without variants.
struct FeedItem {
  emma::ItemInput item;
  std::string group;
  std::uint64_t line = 0;
  // The group is the product's own id even when it has one variant (a Shopify handle).
  bool group_is_id = false;
};

// "a, b\, c, d" -> {"a", "b, c", "d"} (WooCommerce escapes a comma in a name with a backslash).
std::vector<std::string> split_list(const std::string& text, char sep = ',');

}  // namespace emma_tools
