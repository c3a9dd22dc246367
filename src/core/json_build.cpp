#include "json_build.hpp"

#include <string>

namespace emma {

Obj&& Obj::operator()(const char* key, json value) && {
  j_[key] = std::move(value);
  return std::move(*this);
}

Obj&& Obj::operator()(const char* key, const char* value) && {
  j_[key] = std::string(value);
  return std::move(*this);
}

Arr&& Arr::operator()(json value) && {
  j_.push_back(std::move(value));
  return std::move(*this);
}

}  // namespace emma
