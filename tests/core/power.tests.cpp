#include "test_engine.hpp"

#include "core/power.hpp"

#include <cmath>

// The engine's scores use emma::power instead of std::pow (src/core/power.hpp): it must agree
// with std::pow closely enough that rankings stay those the parameters were measured with.
TEST_CASE("power agrees with std::pow on the engine's bases and exponents", "[power]") {
  for (const double y : {0.1, 0.3, 0.5, 0.6}) {
    CHECK(emma::power(0.0, y) == 0.0);
    CHECK(emma::power(1.0, y) == 1.0);
    for (double x = 1e-3; x < 1e8; x *= 1.37) {
      const double want = std::pow(x, y);
      INFO("x " << x << ", y " << y);
      CHECK(std::fabs(emma::power(x, y) - want) <= 1e-14 * want);
    }
  }
  CHECK(emma::power(2.0, -3.0) == 0.125);
}
