#pragma once

#include <cmath>

namespace emma {

// x^y for x >= 0, as 2^(y log2 x). The engine's scores raise counts and popularity to fixed
// fractional powers; std::pow would link musl's pow with its own 4 KB table of logarithms
// (1.3 KB brotli on every shop page), while exp2 and log2 are in the engine already. Within a
// few units in the last place of std::pow here (tests/core/power.tests.cpp), and the same
// function on every build, so ties rank alike.
inline double power(double x, double y) { return std::exp2(y * std::log2(x)); }

}  // namespace emma
