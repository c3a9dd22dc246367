/* snprintf for the embed's engine: the few hexadecimal formats its one caller uses, instead
 * of musl's printf machinery (printf_core with floating-point formatting: ~8 KB of wasm,
 * about 3 KB brotli on every shop page).
 *
 * The caller is nlohmann/json: its serializer writes "\\u%04x" (a control character in a
 * string) and "%.2X" (the byte named in an invalid-UTF-8 error), its lexer "<U+%.4X>" (the
 * code point named in a parse error). Supported: literal text, "%%", and %x / %X with an
 * optional 0 flag, width and precision, on an unsigned int. Any other conversion writes
 * nothing for itself and makes the call return -1 (an encoding error), never a guess.
 * tests/e2e/offers.test.mjs sends a control character through the embed and back. The
 * package's engine (emma_web, emma_node) keeps musl's. */
#include <stdarg.h>
#include <stddef.h>

int snprintf(char* buf, size_t size, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  size_t len = 0;
  int bad = 0;
#define PUT(ch) do { if (len + 1 < size) buf[len] = (ch); len++; } while (0)
  for (const char* p = fmt; *p; p++) {
    if (*p != '%') {
      PUT(*p);
      continue;
    }
    p++;
    if (*p == '%') {
      PUT('%');
      continue;
    }
    int zero = 0, width = 0, prec = -1;
    if (*p == '0') zero = 1, p++;
    while (*p >= '0' && *p <= '9') width = width * 10 + (*p++ - '0');
    if (*p == '.') {
      prec = 0;
      p++;
      while (*p >= '0' && *p <= '9') prec = prec * 10 + (*p++ - '0');
    }
    if (*p != 'x' && *p != 'X') {
      bad = 1;
      if (!*p) break;
      continue;
    }
    const char* digits = *p == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
    unsigned v = va_arg(ap, unsigned);
    char tmp[8];
    int n = 0;
    do tmp[n++] = digits[v & 15], v >>= 4; while (v);
    int min = prec >= 0 ? prec : zero ? width : 0;  /* digits, zero-padded */
    for (int k = n > min ? n : min; k < width; k++) PUT(' ');
    for (int k = n; k < min; k++) PUT('0');
    while (n) PUT(tmp[--n]);
  }
#undef PUT
  if (size) buf[len < size ? len : size - 1] = 0;
  va_end(ap);
  return bad ? -1 : (int)len;
}
