// libFuzzer target for the bundle reader. The checksum would stop almost every mutated input
// at the door, so each input is also read with its checksum repaired: that reaches the
// section readers, which must refuse bad indices and lengths with BAD_BUNDLE, never crash.
#include <cstddef>
#include <cstdint>
#include <vector>

#include <sodium.h>

#include "core/bundle.hpp"
#include "core/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const bool ready = sodium_init() >= 0;
  (void)ready;
  std::vector<std::uint8_t> bytes(data, data + size);
  for (int pass = 0; pass < 2; ++pass) {
    try {
      auto b = emma::read_bundle(bytes);
      // Whatever was accepted must be usable: walk every item.
      for (const auto& it : b->catalog.items()) b->catalog.item_json(it).dump();
    } catch (const emma::Error&) {
    }
    if (bytes.size() < 32) break;
    crypto_generichash(bytes.data() + 16, 16, bytes.data() + 32, bytes.size() - 32, nullptr, 0);
  }
  return 0;
}
