#include "import_common.hpp"

#include <sodium.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <stdexcept>

#include "core/error.hpp"
#include "core/json_input.hpp"
#include "inputs.hpp"

namespace emma_tools {

void BadRows::add(const std::string& file, std::uint64_t line, const std::string& field, const std::string& value,
                  const std::string& problem) {
  std::string v = value.size() > 60 ? value.substr(0, 60) + "..." : value;
  to_utf8(v);
  add_message(file + ":" + std::to_string(line) + ": " + field + " \"" + v + "\": " + problem);
}

void BadRows::add_plain(const std::string& file, std::uint64_t line, const std::string& field, const std::string& problem) {
  add_message(file + ":" + std::to_string(line) + ": " + field + ": " + problem);
}

void BadRows::add_message(std::string message) {
  ++count_;
  if (first_.size() < kShown) first_.push_back(std::move(message));
}

void BadRows::merge(const BadRows& other) {
  count_ += other.count_;
  for (const auto& m : other.first_) {
    if (first_.size() < kShown) first_.push_back(m);
  }
}

BadRowLimit BadRowLimit::parse(const std::string& text) {
  BadRowLimit l;
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  const std::string rest = end ? std::string(end) : "";
  if (text.empty() || end == text.c_str() || !(v >= 0) || (rest != "" && rest != "%") || (rest == "" && v != std::floor(v)) ||
      (rest == "%" && v > 100)) {
    throw emma::Error(emma::code::bad_request, "--max-bad-rows takes a count (25) or a share of the rows (0.5%)");
  }
  if (rest == "%") {
    l.fraction = v / 100;
  } else {
    l.is_absolute = true;
    l.absolute = static_cast<std::uint64_t>(v);
  }
  return l;
}

bool BadRowLimit::exceeded(std::uint64_t bad, std::uint64_t rows) const {
  if (is_absolute) return bad > absolute;
  return static_cast<double>(bad) > fraction * static_cast<double>(rows);
}

std::string BadRowLimit::describe() const {
  if (is_absolute) return std::to_string(absolute) + " rows";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g%%", fraction * 100);
  return std::string(buf) + " of the rows";
}

CustomerHasher::CustomerHasher() {
  if (sodium_init() < 0) throw emma::Error(emma::code::internal, "libsodium failed to start");
  randombytes_buf(salt_, sizeof salt_);
}

CustomerHasher::~CustomerHasher() { sodium_memzero(salt_, sizeof salt_); }

std::string CustomerHasher::hash(const std::string& identifier) const {
  if (identifier.empty()) return "";
  // E-mail addresses are case-insensitive in practice; one customer, one hash.
  std::string key = lower(trim(identifier));
  unsigned char h[16];
  crypto_generichash(h, sizeof h, reinterpret_cast<const unsigned char*>(key.data()), key.size(), salt_, sizeof salt_);
  sodium_memzero(key.data(), key.size());
  static const char* hex = "0123456789abcdef";
  std::string out(32, '0');
  for (int i = 0; i < 16; ++i) {
    out[2 * i] = hex[h[i] >> 4];
    out[2 * i + 1] = hex[h[i] & 15];
  }
  return out;
}

bool CsvReader::next(std::vector<std::string>& fields) {
  fields.clear();
  std::string cur;
  bool quoted = false, any = false;
  first_line_ = line_ + 1;
  unterminated_ = false;
  int c;
  if (!started_) {
    started_ = true;
    if (in_.peek() == 0xEF) {  // UTF-8 byte-order mark
      char bom[3];
      in_.read(bom, 3);
      if (!(in_.gcount() == 3 && static_cast<unsigned char>(bom[1]) == 0xBB && static_cast<unsigned char>(bom[2]) == 0xBF)) {
        in_.clear();
        cur.assign(bom, static_cast<std::size_t>(in_.gcount()));
        any = true;
      }
    }
  }
  while ((c = in_.get()) != EOF) {
    any = true;
    const char ch = static_cast<char>(c);
    if (quoted) {
      if (ch == '"') {
        if (in_.peek() == '"') {
          in_.get();
          cur += '"';
        } else {
          quoted = false;
        }
      } else {
        if (ch == '\n') ++line_;
        cur += ch;
      }
    } else if (ch == '"' && cur.empty()) {
      quoted = true;
    } else if (ch == sep_) {
      fields.push_back(std::move(cur));
      cur.clear();
    } else if (ch == '\n') {
      ++line_;
      fields.push_back(std::move(cur));
      return true;
    } else if (ch != '\r') {
      cur += ch;
    }
  }
  if (!any) return false;
  ++line_;
  unterminated_ = quoted;
  fields.push_back(std::move(cur));
  return true;
}

unsigned cp1252(unsigned char byte) {
  // Windows-1252's 0x80-0x9F; the rest of the upper half is Latin-1 (U+00A0-U+00FF).
  static const char16_t k80[32] = {0x20AC, 0xFFFD, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
                                   0x2039, 0x0152, 0xFFFD, 0x017D, 0xFFFD, 0xFFFD, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
                                   0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0xFFFD, 0x017E, 0x0178};
  return byte >= 0x80 && byte < 0xA0 ? k80[byte - 0x80] : byte;
}

bool to_utf8(std::string& text) {
  if (emma::is_valid_utf8(text)) return false;
  std::string out;
  out.reserve(text.size() + text.size() / 4);
  for (unsigned char ch : text) {
    const unsigned cp = cp1252(ch);
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }
  text = std::move(out);
  return true;
}

std::vector<std::string> split_list(const std::string& text, char sep) {
  std::vector<std::string> out;
  std::string cur;
  auto flush = [&] {
    cur = trim(cur);
    if (!cur.empty()) out.push_back(cur);
    cur.clear();
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 1 < text.size() && text[i + 1] == sep) {
      cur += sep;
      ++i;
    } else if (text[i] == sep) {
      flush();
    } else {
      cur += text[i];
    }
  }
  flush();
  return out;
}

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

std::string lower(std::string s) {
  for (auto& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return s;
}

bool parse_amount(const std::string& text, double& amount, std::string& currency) {
  std::string t = trim(text), number;
  currency.clear();
  // The currency is a run of letters before or after the number.
  std::size_t i = 0;
  while (i < t.size() && std::isalpha(static_cast<unsigned char>(t[i]))) currency += t[i++];
  while (i < t.size() && t[i] == ' ') ++i;
  while (i < t.size() && (std::isdigit(static_cast<unsigned char>(t[i])) || t[i] == '.' || t[i] == ',' || t[i] == '-')) number += t[i++];
  while (i < t.size() && t[i] == ' ') ++i;
  if (currency.empty()) {
    while (i < t.size() && std::isalpha(static_cast<unsigned char>(t[i]))) currency += t[i++];
  }
  if (i != t.size() || number.empty() || (!currency.empty() && currency.size() != 3)) return false;
  // "12,99" (a decimal comma) and "1,299.00" (a thousands separator).
  const auto comma = number.find(','), dot = number.find('.');
  if (comma != std::string::npos) {
    if (dot != std::string::npos) number.erase(std::remove(number.begin(), number.end(), ','), number.end());
    else if (number.find(',', comma + 1) == std::string::npos && number.size() - comma == 3) number[comma] = '.';
    else return false;
  }
  char* end = nullptr;
  amount = std::strtod(number.c_str(), &end);
  for (auto& ch : currency) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  return end && *end == '\0' && std::isfinite(amount) && amount >= 0;
}

bool parse_time_zoned(const std::string& text, std::int64_t& ms) {
  const std::string t = trim(text);
  if (!parse_time(t.substr(0, std::min<std::size_t>(t.size(), 19)), ms)) return false;
  if (t.size() <= 19) return t.size() == 10 || t.size() == 16 || t.size() == 19;
  std::string zone = trim(t.substr(19));
  if (!zone.empty() && zone[0] == '.') {  // fractions of a second
    std::size_t k = 1;
    while (k < zone.size() && std::isdigit(static_cast<unsigned char>(zone[k]))) ++k;
    zone = trim(zone.substr(k));
  }
  if (zone.empty() || zone == "Z" || zone == "UTC") return true;
  if ((zone[0] != '+' && zone[0] != '-') || zone.size() < 5) return false;
  std::string digits;
  for (char ch : zone.substr(1)) {
    if (std::isdigit(static_cast<unsigned char>(ch))) digits += ch;
    else if (ch != ':') return false;
  }
  if (digits.size() != 4) return false;
  const int minutes = std::stoi(digits.substr(0, 2)) * 60 + std::stoi(digits.substr(2, 2));
  ms -= (zone[0] == '+' ? 1 : -1) * static_cast<std::int64_t>(minutes) * 60'000;
  return true;
}

}  // namespace emma_tools
