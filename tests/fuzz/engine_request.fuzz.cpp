// libFuzzer target: arbitrary request text and byte payloads through Engine::handle, the
// exact entry the wasm boundary uses. The answer must always be one JSON object holding
// either a result or an error, and the engine must keep answering afterwards.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include <nlohmann/json.hpp>

#include "core/engine.hpp"

namespace {

emma::Engine& engine() {
  static emma::Engine* e = [] {
    auto* eng = new emma::Engine();
    eng->handle(R"({"op":"configure","shop":"fuzz-shop"})", nullptr, 0);
    eng->handle(R"({"op":"catalog.load","catalog":{"items":[{"id":"a","category":"X > Y","popularity":3},{"id":"b","category":"X"}]}})", nullptr, 0);
    eng->handle(R"({"op":"consent.grant","purpose":"personalization","version":"1"})", nullptr, 0);
    static const std::uint8_t key[32] = {1, 2, 3};
    eng->handle(R"({"op":"vault.set_key","key_id":"k"})", key, sizeof key);
    return eng;
  }();
  return *e;
}

void check(const emma::Response& r) {
  const auto doc = nlohmann::json::parse(r.json);  // throws (and so crashes the fuzzer) if not JSON
  if (!doc.is_object() || (doc.contains("result") == doc.contains("error"))) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // The first byte splits the input into request text and a byte payload.
  std::size_t split = size;
  if (size > 1) split = 1 + (static_cast<std::size_t>(data[0]) * (size - 1)) / 255;
  const std::string request(reinterpret_cast<const char*>(data) + (size > 1 ? 1 : 0),
                            split - (size > 1 ? 1 : 0));
  auto& e = engine();
  check(e.handle(request, data + split, size - split));
  // Ops that take bytes, driven directly so the fuzzer reaches the bundle and vault readers.
  check(e.handle(R"({"op":"bundle.load"})", data, size));
  check(e.handle(R"({"op":"profile.open"})", data, size));
  check(e.handle(R"({"op":"state.adopt"})", data, size));
  check(e.handle(R"({"op":"recommend","request":{"limit":2}})", nullptr, 0));
  return 0;
}
