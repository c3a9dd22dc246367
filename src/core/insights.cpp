#include "insights.hpp"

#include <algorithm>
#include <string_view>
#include <cmath>

#include <sodium.h>

#include "error.hpp"

namespace emma {
namespace {

constexpr std::int64_t kDayMs = 86'400'000;

// Answers are built as JSON text and parsed once: nlohmann's initializer lists cost kilobytes
// of wasm each (see processing_record.cpp), and every byte is downloaded by every shop page.
void put_string(std::string& out, std::string_view s) {
  out += '"';
  for (const char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += "\\u00";
      out += "0123456789abcdef"[(c >> 4) & 0xF];
      out += "0123456789abcdef"[c & 0xF];
    } else {
      out += c;
    }
  }
  out += '"';
}

std::string number(double x) { return json(x).dump(); }

// Parsed as a C string: the same parser instantiation processing_record.cpp already links
// (parsing a std::string would link a second copy of nlohmann's lexer, ~15 KB of wasm).
json parsed(const std::string& text) { return parse_known(text); }

// e^x through exp2, which the engine links already (libm's exp would add to the wasm).
double exp_of(double x) { return std::exp2(x * 1.4426950408889634); }

std::string hex(const unsigned char* b, std::size_t n) {
  std::string out(2 * n + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), b, n);
  out.pop_back();
  return out;
}

}  // namespace

double secure_uniform() {
  // 53 random bits: every double in [0, 1) on the 2^-53 grid is equally likely. In wasm,
  // libsodium's randombytes crosses into JavaScript (crypto.getRandomValues) once per byte, so
  // a pool is expanded with ChaCha20 (randombytes_buf_deterministic) from 32 fresh bytes: one
  // refill serves 256 draws. A used draw is wiped. (sodium_init: the Engine's constructor.)
  static std::uint64_t pool[256];
  static std::size_t left = 0;
  if (left == 0) {
    unsigned char seed[randombytes_SEEDBYTES];
    randombytes_buf(seed, sizeof seed);
    randombytes_buf_deterministic(pool, sizeof pool, seed);
    sodium_memzero(seed, sizeof seed);
    left = 256;
  }
  const std::uint64_t x = pool[--left];
  pool[left] = 0;
  return static_cast<double>(x >> 11) * 0x1.0p-53;
}

InsightsDomain insights_domain(const Catalog& catalog) {
  InsightsDomain d;
  // Labels are joined with "\n", which no category path holds (catalog.cpp trims it away).
  std::string text = "tante-emma-insights/1";
  d.labels_json = "[";
  for (std::uint32_t c = 0; c < catalog.category_count(); ++c) {
    if (catalog.category(c).depth != 0) continue;
    if (!d.categories.empty()) d.labels_json += ',';
    d.categories.push_back(c);
    put_string(d.labels_json, catalog.category(c).path);
    text += "\ncategory:";
    text += catalog.category(c).path;
  }
  d.labels_json += ']';
  for (const char* s : kInsightsSegmentIds) {
    text += "\nsegment:";
    text += s;
  }
  unsigned char h[16];
  crypto_generichash(h, sizeof h, reinterpret_cast<const unsigned char*>(text.data()), text.size(), nullptr, 0);
  d.id = hex(h, sizeof h);
  return d;
}

std::string oue_encode(std::size_t d, std::size_t true_index, double epsilon, Uniform u) {
  const double p = 0.5;
  const double q = 1.0 / (exp_of(epsilon) + 1.0);
  std::string bits(d, '0');
  // Every bit is drawn, also the true one, so the time taken does not depend on the input.
  for (std::size_t i = 0; i < d; ++i) {
    const double keep = i == true_index ? p : q;
    if (u() < keep) bits[i] = '1';
  }
  return bits;
}

bool rr_encode(bool bit, double epsilon, Uniform u) {
  const double keep = exp_of(epsilon) / (exp_of(epsilon) + 1.0);
  return u() < keep ? bit : !bit;
}

json InsightsBudget::to_json() const {
  return parsed(R"({"day":)" + std::to_string(day) + R"(,"spent":)" + number(spent) + "}");
}

InsightsBudget InsightsBudget::from_json(const json& doc) {
  InsightsBudget b;
  if (!doc.is_object()) return b;
  Fields f(doc, "sealed profile.insights", code::tampered);
  b.day = f.opt_int("day", -1, INT64_C(1) << 40).value_or(-1);
  b.spent = f.opt_num("spent").value_or(0);
  if (!(b.spent >= 0 && b.spent <= 1e6)) f.fail("spent", "must be from 0 to 1000000");
  return b;
}

std::string day_string(std::int64_t day) {
  // Howard Hinnant's civil_from_days: exact for the proleptic Gregorian calendar.
  const std::int64_t z = day + 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const std::int64_t doe = z - era * 146097;
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const std::int64_t mp = (5 * doy + 2) / 153;
  const std::int64_t dd = doy - (153 * mp + 2) / 5 + 1;
  const std::int64_t mm = mp < 10 ? mp + 3 : mp - 9;
  const std::int64_t yy = yoe + era * 400 + (mm <= 2);
  // Formatted by hand: printf would add kilobytes to the wasm.
  std::string out = "0000-00-00";
  auto put = [&](std::size_t at, std::int64_t v, int width) {
    for (int k = width - 1; k >= 0; --k, v /= 10) out[at + static_cast<std::size_t>(k)] = static_cast<char>('0' + v % 10);
  };
  put(0, yy, 4);
  put(5, mm, 2);
  put(8, dd, 2);
  return out;
}

void Insights::configure(const Fields& f) {
  // Above 8 per report the noise no longer hides much (a bit is kept with odds e^4 ≈ 55:1 per half).
  const double e = f.opt_num("epsilon").value_or(config_.epsilon);
  const double daily = f.opt_num("daily_epsilon").value_or(std::max(config_.daily_epsilon, e));
  if (!(e >= 0.1 && e <= 8)) f.fail("epsilon", "must be from 0.1 to 8");
  if (!(daily >= e && daily <= 16)) f.fail("daily_epsilon", "must be from epsilon (one report) to 16");
  config_ = {e, daily};
}

json Insights::domain_json(const Catalog& catalog) const {
  const InsightsDomain d = insights_domain(catalog);
  std::string t = R"({"version":1,"id":")";
  t += d.id;
  t += R"(","categories":)";
  t += d.labels_json;
  t += R"(,"segments":["new","returning","high_intent","price_sensitive","brand_loyal"],"epsilon":)";
  t += number(config_.epsilon);
  t += R"(,"daily_epsilon":)";
  t += number(config_.daily_epsilon);
  t += "}";
  return parsed(t);
}

int top_category(const InsightsDomain& domain, const Catalog& catalog, const Profile& profile, std::int64_t now) {
  std::vector<double> score(domain.categories.size(), 0.0);
  for (const auto& [id, signal] : profile.items()) {
    const Item* item = catalog.find(id);
    if (!item || item->category == kNone) continue;
    std::uint32_t top = item->category;
    while (catalog.category(top).parent != kNone) top = catalog.category(top).parent;
    for (std::size_t i = 0; i < domain.categories.size(); ++i) {
      if (domain.categories[i] == top) score[i] += profile.decay(signal, now);
    }
  }
  int best = -1;
  double best_score = 0;
  // Ties go to the first in domain order; with decayed real-valued weights they are rare.
  for (std::size_t i = 0; i < score.size(); ++i) {
    if (score[i] > best_score) {
      best_score = score[i];
      best = static_cast<int>(i);
    }
  }
  return best;
}

json Insights::report(const Catalog& catalog, const Profile& profile, const json& segments, std::int64_t now,
                      std::size_t max, const ReportOutcome* outcome, Uniform u) {
  if (now <= 0) throw Error(code::bad_request, "now: insights.report needs the current time (ms since 1970)");
  const std::int64_t today = now / kDayMs;
  if (budget_.day != today) budget_ = {today, 0};
  const std::string day = day_string(today);
  std::string t = R"({"reports":[)";
  std::size_t count = 0;
  const char* reason = "reported";
  const InsightsDomain domain = insights_domain(catalog);
  const int top = top_category(domain, catalog, profile, now);
  if (top < 0) {
    reason = "the profile shows no category interest yet";
  } else {
    bool member[kInsightsSegments] = {};
    for (std::size_t j = 0; j < kInsightsSegments; ++j) {
      for (const auto& seg : segments) {
        if (seg.at("id").get<std::string>() == kInsightsSegmentIds[j]) member[j] = seg.at("member").get<bool>();
      }
    }
    const double half = (config_.epsilon - (outcome ? outcome->epsilon : 0)) / 2;
    while (count < max && budget_.spent + config_.epsilon <= config_.daily_epsilon + 1e-9) {
      const std::uint32_t seg = randombytes_uniform(kInsightsSegments);
      unsigned char nonce[16];
      randombytes_buf(nonce, sizeof nonce);
      if (count++) t += ',';
      t += R"({"v":1,"domain":")";
      t += domain.id;
      t += R"(","day":")";
      t += day;
      t += R"(","epsilon":)";
      t += number(config_.epsilon);
      t += R"(,"categories":")";
      t += oue_encode(domain.categories.size(), static_cast<std::size_t>(top), half, u);
      t += R"(","segment":)";
      t += static_cast<char>('0' + seg);
      t += R"(,"segment_bit":)";
      t += rr_encode(member[seg], half, u) ? '1' : '0';
      if (outcome) {
        t += R"(,"experiment":)";
        put_string(t, outcome->experiment);
        t += R"(,"arm":)";
        put_string(t, outcome->arm);
        t += R"(,"outcome_epsilon":)";
        t += number(outcome->epsilon);
        t += R"(,"opened":)";
        t += rr_encode(outcome->opened, outcome->epsilon / 2, u) ? '1' : '0';
        t += R"(,"bought":)";
        t += rr_encode(outcome->bought, outcome->epsilon / 2, u) ? '1' : '0';
      }
      t += R"(,"nonce":")";
      t += hex(nonce, sizeof nonce);
      t += R"("})";
      budget_.spent += config_.epsilon;
    }
    if (count == 0) reason = "today's budget is spent";
  }
  t += R"(],"day":")";
  t += day;
  t += R"(","reason":")";
  t += reason;  // a fixed text above, nothing to escape
  t += R"(","spent":)";
  t += number(budget_.spent);
  t += "}";
  return parsed(t);
}

}  // namespace emma
