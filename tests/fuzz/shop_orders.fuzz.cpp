// libFuzzer target for the order-export readers (src/tools/orders_import.cpp, and the
// dispatch in src/tools/inputs.cpp): Shopify's orders CSV and a CSV read through a column
// mapping, chosen by the first byte. Whatever they accept goes through the model builder.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <unistd.h>

#include "core/error.hpp"
#include "core/model_builder.hpp"
#include "inputs.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  // read_orders takes a path (as emma-model does): one private file per process.
  static const std::string path = "/tmp/emma-fuzz-orders-" + std::to_string(getpid()) + ".csv";
  static const struct Cleanup {
    ~Cleanup() { std::remove(path.c_str()); }
  } cleanup;
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) return 0;
  std::fwrite(data + 1, 1, size - 1, f);
  std::fclose(f);
  static const emma_tools::CustomerHasher hasher;
  emma_tools::BadRows bad;
  emma_tools::OrderReadOptions options;
  options.hasher = &hasher;
  options.bad = &bad;
  if (data[0] & 1) options.columns = emma_tools::OrderColumns::parse("customer=Email,basket=Name,item=Lineitem sku,at=Created at,quantity=Lineitem quantity");
  std::vector<emma::ItemInput> items(3);
  items[0].id = "LS-M";
  items[1].id = "SOCK-1";
  items[2].id = "enamel-mug";
  emma::BuildOptions opt;
  opt.k = 1;
  opt.until = INT64_C(1) << 50;
  emma::ModelBuilder builder(items, opt);
  emma_tools::OrderReadStats stats;
  try {
    emma_tools::read_orders(path, stats, [&](const emma::OrderLine& l) { builder.add(l); }, {}, options);
  } catch (const emma::Error&) {
  }
  builder.finish();
  return 0;
}
