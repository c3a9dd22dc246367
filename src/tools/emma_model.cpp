// emma-model: the shop's offline tool. Turns a catalog file into the bundle that every
// shopper's browser loads. It validates with the same core code the engine uses.
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>

#include "core/bundle.hpp"
#include "core/error.hpp"

namespace {

int usage() {
  std::cerr << "usage: emma-model pack --catalog <catalog.json> --out <shop.bundle>\n"
               "  catalog.json: {\"items\":[{\"id\",\"title\",\"url\",\"image\",\"category\",\"brand\",\n"
               "                 \"tags\",\"price\",\"currency\",\"in_stock\",\"popularity\"}]}\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || std::strcmp(argv[1], "pack") != 0) return usage();
  std::string catalog_path, out_path;
  for (int i = 2; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--catalog") == 0) catalog_path = argv[i + 1];
    else if (std::strcmp(argv[i], "--out") == 0) out_path = argv[i + 1];
    else return usage();
  }
  if (catalog_path.empty() || out_path.empty()) return usage();
  try {
    std::ifstream in(catalog_path, std::ios::binary);
    if (!in) {
      std::cerr << "emma-model: cannot read " << catalog_path << "\n";
      return 1;
    }
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    emma::JsonLimits limits;
    limits.max_bytes = 512u << 20;
    const auto doc = emma::parse_json(text, emma::code::bad_bundle, catalog_path.c_str(), limits);
    const auto catalog = emma::Catalog::from_json(doc);  // refuse what the engine would refuse
    const auto bytes = emma::write_bundle({{"CATJ", doc.dump()}});
    const std::string tmp = out_path + ".tmp";
    {
      std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
      out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
      if (!out) {
        std::cerr << "emma-model: cannot write " << tmp << "\n";
        return 1;
      }
    }
    if (std::rename(tmp.c_str(), out_path.c_str()) != 0) {
      std::cerr << "emma-model: cannot move " << tmp << " to " << out_path << "\n";
      return 1;
    }
    std::cerr << "emma-model: " << catalog.size() << " items, " << catalog.category_count()
              << " categories, " << bytes.size() << " bytes written to " << out_path << "\n";
    return 0;
  } catch (const emma::Error& e) {
    std::cerr << "emma-model: " << e.code() << ": " << e.what() << "\n";
    return 1;
  }
}
