#include "model.hpp"

namespace emma {

std::size_t Model::window(const std::string& name) const {
  for (std::size_t w = 0; w < windows.size(); ++w) {
    if (windows[w].name == name) return w;
  }
  return windows.size();
}

std::size_t Model::default_window() const {
  const std::size_t w = window("30d");
  return w < windows.size() ? w : 0;
}

}  // namespace emma
