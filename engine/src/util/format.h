// Small formatting helpers shared by the plan and comparison writers.
#pragma once

#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>

#include <fmt/format.h>

namespace jointreview::plan_fmt {

// True when x is an integer up to rounding noise.
inline bool integral(double x) { return std::abs(x - std::round(x)) < 1e-9; }

// Working days as people write them: "3", "0.5", "1.25" (at most 6 decimals,
// no trailing zeros).
inline std::string num(double x) {
  if (!std::isfinite(x)) return std::isnan(x) ? "nan" : (x > 0 ? "inf" : "-inf");
  if (integral(x)) return fmt::format("{}", static_cast<long long>(std::llround(x)));
  std::string s = fmt::format("{:.6f}", x);
  while (!s.empty() && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

// A percentage rounded to a whole number with the sign of the change:
// a reduction of 83.3 % reads "-83%", an increase "+20%".
inline std::string change_percent(double reduction) {
  long long r = std::llround(reduction);
  if (r == 0) return "0%";
  return r > 0 ? fmt::format("-{}%", r) : fmt::format("+{}%", -r);
}

// Text for XML / HTML content and attribute values.
inline std::string xml_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default:
        // Control characters other than tab and newline are not allowed in XML 1.0.
        if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n') out += ' ';
        else out += c;
    }
  }
  return out;
}

}  // namespace jointreview::plan_fmt
