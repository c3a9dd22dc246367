// Building JSON answers key by key through one out-of-line call.
//
// nlohmann's initializer lists (`json{{"kind", "viewed"}, {"text", t}}`) build a temporary
// two-element array for every pair, then check at run time that all of them look like
// key/value pairs, and all of that is inlined at each call site: in the wasm, answer
// building was a large share of the engine's code (docs/benchmarks.md "Sizes"). `Obj` produces the same
// JSON (objects keep their keys sorted either way) with a call per key.
//
//   json r = Obj()("kind", "viewed")("text", text)("item", id);
//   json pair = Arr()(weight)(at);
#pragma once
#include <utility>

#include "json_input.hpp"

namespace emma {

class Obj {
 public:
  Obj() : j_(json::object()) {}
  Obj&& operator()(const char* key, json value) &&;
  // String literals: one function for every length, instead of one conversion per length.
  Obj&& operator()(const char* key, const char* value) &&;
  operator json() && { return std::move(j_); }

 private:
  json j_;
};

class Arr {
 public:
  Arr() : j_(json::array()) {}
  Arr&& operator()(json value) &&;
  operator json() && { return std::move(j_); }

 private:
  json j_;
};

}  // namespace emma
