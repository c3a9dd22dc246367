/* strtod for the wasm build: the browser's own number parser instead of musl's.
 *
 * musl's strtod computes in 128-bit long double, which wasm has only in software: with the
 * soft-float routines it pulls in, it was ~5.7 KB of the page's brotli budget (README
 * "Sizes"). The one caller is nlohmann/json's lexer, on a token it has already checked to be a
 * JSON number (-?digits[.digits][(e|E)[+|-]digits]). JavaScript's Number() reads that syntax
 * with the same correctly rounded result (IEEE 754 round to nearest, ties to even, as V8,
 * SpiderMonkey and JavaScriptCore all implement it); tests/js/numbers.test.mjs compares the
 * two. Anything that is not a JSON number is not converted (*end = s, 0), never guessed at.
 * strtof and strtold are defined here too, so that musl's file holding all three is not
 * linked beside this one. Native builds use the C library's. */
#include <emscripten.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>

EM_JS(double, emma_parse_number, (const char* text, int length), { return Number(UTF8ToString(text, length)); })  // (EM_JS ends with its own semicolon)

static const char* digits(const char* p) {
  while (*p >= '0' && *p <= '9') p++;
  return p;
}

double strtod(const char* s, char** end) {
  const char* p = s;
  if (*p == '-') p++;
  const char* q = digits(p);
  if (q == p) {
    if (end) *end = (char*)s;
    return 0;
  }
  if (*q == '.' && q[1] >= '0' && q[1] <= '9') q = digits(q + 1);
  if (*q == 'e' || *q == 'E') {
    const char* e = q + 1;
    if (*e == '+' || *e == '-') e++;
    if (*e >= '0' && *e <= '9') q = digits(e);
  }
  if (end) *end = (char*)q;
  double value = emma_parse_number(s, (int)(q - s));
  if (isinf(value)) errno = ERANGE;
  return value;
}

float strtof(const char* s, char** end) { return (float)strtod(s, end); }

long double strtold(const char* s, char** end) { return strtod(s, end); }
