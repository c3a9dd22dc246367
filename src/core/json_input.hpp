// Reading untrusted JSON: one parser with hard limits, and typed field access whose
// errors name the field path ("event.item") and what was expected.
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace emma {

using json = nlohmann::json;

struct JsonLimits {
  std::size_t max_bytes = 16u << 20;  // whole document
  int max_depth = 32;                 // bounded: the wasm stack is small and dump() recurses
};

// Parses `text` as one JSON document. Throws Error(error_code, ...) on invalid JSON,
// invalid UTF-8, a document over the size limit or nesting deeper than the limit; the message
// names the field path where it happened. An escaped lone UTF-16 surrogate (half an emoji)
// becomes U+FFFD instead of failing the whole document.
json parse_json(std::string_view text, const char* error_code, const char* what,
                JsonLimits limits = {});

// A view of one JSON object that reports errors with the path of the field and a code.
class Fields {
 public:
  Fields(const json& object, std::string path, const char* error_code);

  bool has(const char* key) const;
  std::string str(const char* key, std::size_t max_len) const;
  std::optional<std::string> opt_str(const char* key, std::size_t max_len) const;
  // An identifier (item, variant, segment): a string like str()/opt_str(), refused when it holds
  // U+FFFD, because a broken id can never match the intact one it was cut from.
  std::string id(const char* key, std::size_t max_len) const;
  std::optional<std::string> opt_id(const char* key, std::size_t max_len) const;
  // The same check for an id already read; `index` names its place in the array `key`.
  void check_id(const char* key, const std::string& id, std::size_t index = std::string::npos) const;
  double num(const char* key) const;
  std::optional<double> opt_num(const char* key) const;
  std::optional<std::int64_t> opt_int(const char* key, std::int64_t lo, std::int64_t hi) const;
  std::optional<bool> opt_bool(const char* key) const;
  const json* opt_object(const char* key) const;
  const json* opt_array(const char* key) const;
  // True when the field is an object, false when it is an array; an error otherwise.
  bool opt_object_or_array(const char* key) const;
  Fields object(const char* key) const;
  std::string path_of(const char* key) const;
  [[noreturn]] void fail(const char* key, const std::string& problem) const;

 private:
  const json& object_;
  std::string path_;
  const char* code_;
};

// JSON the engine wrote or holds itself (its templates, a bundle's item attributes): parsed
// without limits. With `allow_exceptions` false a bad text is a discarded value. Every parse
// goes through here or parse_json, so nlohmann's callback parser is never linked (smaller wasm).
json parse_known(std::string_view text, bool allow_exceptions = true);

const char* json_type_name(const json& value);

// Checks a string that came from elsewhere than JSON (e.g. a binary bundle) is UTF-8, so that
// dumping it into a response can never throw.
bool is_valid_utf8(std::string_view text);

}  // namespace emma
