// libFuzzer target for the sealed-profile reader. Authentication stops tampering, so the
// fuzzer seals its input with the engine's own key first: that reaches the profile and
// consent readers behind the vault, which must refuse malformed records with TAMPERED; and the
// same input, unsealed, as a handed-over session (state.adopt).
#include <cstddef>
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "core/engine.hpp"
#include "core/error.hpp"
#include "core/vault.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static emma::Engine* engine = [] {
    auto* e = new emma::Engine();
    e->handle(R"({"op":"configure","shop":"fuzz"})", nullptr, 0);
    static const std::uint8_t key[32] = {9};
    e->handle(R"({"op":"vault.set_key","key_id":"k"})", key, sizeof key);
    return e;
  }();
  static emma::Vault* vault = [] {
    auto* v = new emma::Vault();
    static const std::uint8_t key[32] = {9};
    v->set_key(key, sizeof key, "k");
    return v;
  }();
  const auto sealed = vault->seal(std::string(reinterpret_cast<const char*>(data), size), "fuzz");
  const auto r = engine->handle(R"({"op":"profile.open"})", sealed.data(), sealed.size());
  const auto doc = nlohmann::json::parse(r.json);
  if (doc.contains("error") == doc.contains("result")) __builtin_trap();
  // A profile that opened must seal again.
  engine->handle(R"({"op":"consent.grant","purpose":"personalization","version":"1"})", nullptr, 0);
  const auto again = engine->handle(R"({"op":"profile.seal"})", nullptr, 0);
  if (nlohmann::json::parse(again.json).contains("error")) __builtin_trap();
  // The same reader without the vault: a session handed over on the page (state.adopt) must
  // be refused or taken in the same way, and then seal too.
  const auto adopted = nlohmann::json::parse(engine->handle(R"({"op":"state.adopt"})", data, size).json);
  if (adopted.contains("error") == adopted.contains("result")) __builtin_trap();
  engine->handle(R"({"op":"consent.grant","purpose":"personalization","version":"1"})", nullptr, 0);
  if (nlohmann::json::parse(engine->handle(R"({"op":"profile.seal"})", nullptr, 0).json).contains("error")) __builtin_trap();
  return 0;
}
