#include "json_input.hpp"

#include <cmath>
#include <cstring>

#include "error.hpp"

namespace emma {

namespace {

// The UTF-16 code unit escaped at `at` (a backslash, "u", four hex digits); -1 when none is.
int escaped_unit(std::string_view t, std::size_t at) {
  if (at + 6 > t.size() || t[at] != '\\' || t[at + 1] != 'u') return -1;
  int v = 0;
  for (std::size_t k = at + 2; k < at + 6; ++k) {
    const int c = t[k] | 0x20;  // folds 'A'-'F' to 'a'-'f' and leaves digits alone
    const int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (d < 0) return -1;
    v = v * 16 + d;
  }
  return v;
}

// " at byte N (in catalog.items[3].title)": where byte `stop` is, with the field path of the
// value it is in. A second scan, made only for an error message, so the scan every message
// pays for stays a few compares.
std::string where(std::string_view text, std::size_t stop) {
  constexpr int kMax = 64;
  std::string path;
  std::size_t cut[kMax];    // where the part naming each open level's current child starts
  std::size_t index[kMax];  // SIZE_MAX for an object, else the array's current index
  int depth = 0;
  bool in_string = false;
  std::size_t start = 0;
  std::string_view last;
  for (std::size_t i = 0; i < stop && i < text.size(); ++i) {
    const char c = text[i];
    const int d = depth - 1;
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"') in_string = false, last = text.substr(start, i - start);
    } else if (c == '"') {
      in_string = true, start = i + 1;
    } else if ((c == '{' || c == '[') && depth < kMax) {
      cut[depth] = path.size();
      index[depth++] = c == '{' ? SIZE_MAX : 0;
      if (c == '[') path += "[0]";
    } else if (d < 0) {
    } else if (c == '}' || c == ']') {
      path.resize(cut[d]);
      --depth;
    } else if (c == ':' || c == ',') {
      path.resize(cut[d]);
      if (index[d] != SIZE_MAX) path += "[" + std::to_string(++index[d]) + "]";
      else if (c == ':') (path += '.').append(last.substr(0, 64));
    }
  }
  return " at byte " + std::to_string(stop + 1) +
         (path.empty() ? "" : " (in " + path.substr(path[0] == '.') + ")");
}

}  // namespace

json parse_json(std::string_view text, const char* error_code, const char* what,
                JsonLimits limits) {
  if (text.empty()) throw Error(error_code, std::string(what) + " is empty; expected JSON");
  if (text.size() > limits.max_bytes) {
    throw Error(error_code, std::string(what) + " is " + std::to_string(text.size()) +
                                " bytes; at most " + std::to_string(limits.max_bytes) +
                                " are accepted");
  }
  // nlohmann's parser is iterative, but the values it builds are later walked recursively
  // (dump, copies), so the depth is refused before anything deep exists. A scan of the text,
  // not nlohmann's parser callback: the callback parser searches the enclosing array for
  // discarded values each time an object ends, which made a 10,000-item catalog quadratic
  // (4.4 s in wasm). Brackets inside strings do not count; anything else malformed is left
  // to the parser, which says where.
  //
  // The same scan mends lone UTF-16 surrogates: JSON.stringify writes a string cut in the
  // middle of an emoji (common in shop feeds) with an escape of half a pair (U+D83D), which
  // nlohmann refuses, and one such title would sink a whole catalog. Each escape of a surrogate
  // that is not half of a high+low pair becomes the escape of U+FFFD (same length, so the copy
  // is patched in place): text keeps a visible U+FFFD, and ids, which must match exactly,
  // refuse it by name (Fields::id).
  std::string mended;  // a copy of `text`, made only when something needs mending
  const std::size_t n = text.size();
  bool in_string = false;
  int depth = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        const int u = escaped_unit(text, i);
        if (u >= 0xD800 && u <= 0xDFFF) {
          const int low = escaped_unit(text, i + 6);
          if (u < 0xDC00 && low >= 0xDC00 && low <= 0xDFFF) {
            i += 6;  // a whole pair: on to its second half
          } else {
            if (mended.empty()) mended.assign(text);
            std::memcpy(&mended[i + 2], "FFFD", 4);
          }
        }
        ++i;  // the escaped character; hex digits after it are never '"' or '\\'
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (depth >= limits.max_depth) {
        throw Error(error_code, std::string(what) + " nests deeper than " + std::to_string(limits.max_depth) +
                                    " levels" + where(text, i));
      }
      ++depth;
    } else if ((c == '}' || c == ']') && depth > 0) {
      --depth;
    }
  }
  const std::string_view source = mended.empty() ? text : std::string_view(mended);
  try {
    return parse_known(source);
  } catch (const json::parse_error& e) {
    // e.byte is the 1-based offset where parsing stopped; the text says what was wrong
    // (including ill-formed UTF-8), the path which field it was in.
    std::string detail = e.what();
    const auto cut = detail.find("syntax error");
    if (cut != std::string::npos) detail = detail.substr(cut);
    throw Error(error_code, std::string(what) + " is not valid JSON" + where(source, e.byte - 1) + ": " + detail);
  }
}

json parse_known(std::string_view text, bool allow_exceptions) {
  json result;
  nlohmann::detail::json_sax_dom_parser<json> sax(result, allow_exceptions);
  if (!json::sax_parse(text.begin(), text.end(), &sax, json::input_format_t::json, /*strict=*/true, /*ignore_comments=*/false)) {
    return json(json::value_t::discarded);
  }
  return result;
}

const char* json_type_name(const json& value) {
  switch (value.type()) {
    case json::value_t::null: return "null";
    case json::value_t::boolean: return "a boolean";
    case json::value_t::string: return "a string";
    case json::value_t::array: return "an array";
    case json::value_t::object: return "an object";
    case json::value_t::binary: return "binary";
    case json::value_t::discarded: return "nothing";
    default: return "a number";
  }
}

Fields::Fields(const json& object, std::string path, const char* error_code)
    : object_(object), path_(std::move(path)), code_(error_code) {
  if (!object_.is_object()) {
    throw Error(code_, (path_.empty() ? std::string("the message") : path_) +
                           " must be a JSON object, got " + json_type_name(object_));
  }
}

std::string Fields::path_of(const char* key) const {
  return path_.empty() ? std::string(key) : path_ + "." + key;
}

void Fields::fail(const char* key, const std::string& problem) const {
  throw Error(code_, path_of(key) + ": " + problem);
}

bool Fields::has(const char* key) const {
  const auto it = object_.find(key);
  return it != object_.end() && !it->is_null();
}

std::optional<std::string> Fields::opt_str(const char* key, std::size_t max_len) const {
  const auto it = object_.find(key);
  if (it == object_.end() || it->is_null()) return std::nullopt;
  if (!it->is_string()) fail(key, std::string("expected a string, got ") + json_type_name(*it));
  const auto& s = it->get_ref<const std::string&>();
  if (s.size() > max_len) {
    fail(key, "is " + std::to_string(s.size()) + " bytes long; at most " +
                  std::to_string(max_len) + " are accepted");
  }
  return s;
}

std::string Fields::str(const char* key, std::size_t max_len) const {
  auto s = opt_str(key, max_len);
  if (!s) fail(key, "is required (a string)");
  if (s->empty()) fail(key, "must not be empty");
  return *s;
}

void Fields::check_id(const char* key, const std::string& id, std::size_t index) const {
  if (id.find("\xEF\xBF\xBD") != std::string::npos) {
    const std::string at = index == std::string::npos ? key : key + ("[" + std::to_string(index) + "]");
    fail(at.c_str(), "contains a broken character (U+FFFD: half an emoji?); ids must be intact");
  }
}

std::optional<std::string> Fields::opt_id(const char* key, std::size_t max_len) const {
  auto s = opt_str(key, max_len);
  if (s) check_id(key, *s);
  return s;
}

std::string Fields::id(const char* key, std::size_t max_len) const {
  std::string s = str(key, max_len);
  check_id(key, s);
  return s;
}

std::optional<double> Fields::opt_num(const char* key) const {
  const auto it = object_.find(key);
  if (it == object_.end() || it->is_null()) return std::nullopt;
  if (!it->is_number()) fail(key, std::string("expected a number, got ") + json_type_name(*it));
  const double v = it->get<double>();
  if (!std::isfinite(v)) fail(key, "must be a finite number");
  return v;
}

double Fields::num(const char* key) const {
  auto v = opt_num(key);
  if (!v) fail(key, "is required (a number)");
  return *v;
}

std::optional<std::int64_t> Fields::opt_int(const char* key, std::int64_t lo,
                                            std::int64_t hi) const {
  auto v = opt_num(key);
  if (!v) return std::nullopt;
  if (*v != std::floor(*v) || *v < static_cast<double>(lo) || *v > static_cast<double>(hi)) {
    fail(key, "must be a whole number from " + std::to_string(lo) + " to " + std::to_string(hi));
  }
  return static_cast<std::int64_t>(*v);
}

std::optional<bool> Fields::opt_bool(const char* key) const {
  const auto it = object_.find(key);
  if (it == object_.end() || it->is_null()) return std::nullopt;
  if (!it->is_boolean()) fail(key, std::string("expected true or false, got ") + json_type_name(*it));
  return it->get<bool>();
}

const json* Fields::opt_object(const char* key) const {
  const auto it = object_.find(key);
  if (it == object_.end() || it->is_null()) return nullptr;
  if (!it->is_object()) fail(key, std::string("expected an object, got ") + json_type_name(*it));
  return &*it;
}

const json* Fields::opt_array(const char* key) const {
  const auto it = object_.find(key);
  if (it == object_.end() || it->is_null()) return nullptr;
  if (!it->is_array()) fail(key, std::string("expected an array, got ") + json_type_name(*it));
  return &*it;
}

bool Fields::opt_object_or_array(const char* key) const {
  const auto it = object_.find(key);
  if (it == object_.end() || it->is_null()) return false;
  if (it->is_object()) return true;
  if (!it->is_array()) fail(key, std::string("expected an array or an object, got ") + json_type_name(*it));
  return false;
}

Fields Fields::object(const char* key) const {
  const json* o = opt_object(key);
  if (!o) fail(key, "is required (an object)");
  return Fields(*o, path_of(key), code_);
}

bool is_valid_utf8(std::string_view text) {
  std::size_t i = 0;
  const auto n = text.size();
  while (i < n) {
    const auto c = static_cast<unsigned char>(text[i]);
    std::size_t len = 0;
    std::uint32_t cp = 0;
    if (c < 0x80) { ++i; continue; }
    if ((c & 0xE0) == 0xC0) { len = 2; cp = c & 0x1F; }
    else if ((c & 0xF0) == 0xE0) { len = 3; cp = c & 0x0F; }
    else if ((c & 0xF8) == 0xF0) { len = 4; cp = c & 0x07; }
    else return false;
    if (i + len > n) return false;
    for (std::size_t k = 1; k < len; ++k) {
      const auto cc = static_cast<unsigned char>(text[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    // Overlong forms, surrogates and values past U+10FFFF are not UTF-8.
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += len;
  }
  return true;
}

}  // namespace emma
