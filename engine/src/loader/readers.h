// The loader's typed YAML readers: one file's text and its positions
// (Source), and the context (Ctx) that reads a node as text, a boolean, a
// number of days or a distribution, reporting each problem as a diagnostic
// with the node's FILE:LINE:COLUMN.
#pragma once

#include <cmath>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "jointreview/diagnostic.h"
#include "jointreview/workflow.h"
#include "loader/keys.h"
#include "util/text_util.h"

namespace jointreview::loader {


using Severity = Diagnostic::Severity;

// The longest time a value in days may give (a time limit, a period, a
// distribution's parameter): 100000 working days, some 400 years. Beyond it
// a date would leave the calendar's range (docs/workflow-language.md, "Limits").
inline constexpr double kMaxDays = 100000;

inline bool valid_id(const std::string& s) {
  if (s.empty()) return false;
  for (unsigned char c : s)
    if (!(std::isalnum(c) || c == '_' || c == '-')) return false;
  return true;
}

inline std::string fmt_num(double v) {
  std::ostringstream o;
  o << v;
  return o.str();
}

// One file's text with what is needed to turn yaml-cpp marks (0-based, in
// bytes) into 1-based line:column counted in characters, as editors show.
class Source {
 public:
  Source(std::string file, std::string text) : file_(std::move(file)), text_(std::move(text)) {
    starts_.push_back(0);
    for (std::size_t i = 0; i < text_.size(); ++i)
      if (text_[i] == '\n') starts_.push_back(i + 1);
  }
  const std::string& file() const { return file_; }
  const std::string& text() const { return text_; }

  SourcePos at_byte_offset(std::size_t off) const {
    auto it = std::upper_bound(starts_.begin(), starts_.end(), off);
    std::size_t line = static_cast<std::size_t>(it - starts_.begin()) - 1;
    return at(static_cast<int>(line), static_cast<int>(off - starts_[line]));
  }

  SourcePos at(int line0, int byte_col0) const {
    SourcePos p{file_, 0, 0};
    if (line0 < 0) return p;
    p.line = line0 + 1;
    if (static_cast<std::size_t>(line0) < starts_.size()) {
      std::size_t start = starts_[line0];
      std::size_t end = std::min(text_.size(), start + static_cast<std::size_t>(std::max(byte_col0, 0)));
      p.column = static_cast<int>(text::code_points(std::string_view(text_).substr(start, end - start))) + 1;
    } else {
      p.column = byte_col0 + 1;
    }
    return p;
  }

  SourcePos at(const YAML::Mark& m) const { return at(m.line, m.column); }
  SourcePos at(const YAML::Node& n) const { return at(n.Mark()); }

 private:
  std::string file_;
  std::string text_;
  std::vector<std::size_t> starts_;
};

inline std::string describe(const YAML::Node& n) {
  if (!n.IsDefined() || n.IsNull()) return "nothing";
  if (n.IsSequence()) return "a list";
  if (n.IsMap()) return "a mapping";
  std::string s = n.Scalar();
  if (s.size() > 40) s = s.substr(0, 37) + "...";
  return "'" + s + "'";
}

// Keys of one mapping, checked: non-scalar keys, duplicates and unknown keys
// are reported; the remaining ones are looked up by name.
struct Entry {
  YAML::Node key;
  YAML::Node value;
};

class Ctx {
 public:
  Ctx(const Source& src, std::vector<Diagnostic>& diags, bool warnings = true)
      : src_(src), diags_(diags), warnings_(warnings) {}

  void error(const SourcePos& p, std::string msg, std::string hint = {}) {
    diags_.push_back({Severity::error, p, std::move(msg), std::move(hint)});
  }
  void warning(const SourcePos& p, std::string msg, std::string hint = {}) {
    if (warnings_) diags_.push_back({Severity::warning, p, std::move(msg), std::move(hint)});
  }
  SourcePos pos(const YAML::Node& n) const { return src_.at(n); }
  const Source& src() const { return src_; }

  // Reads a mapping's keys; `allowed` lists the known keys for `context`.
  std::map<std::string, Entry> keys(const YAML::Node& map, const std::vector<std::string>& allowed,
                                    const std::string& context) {
    std::map<std::string, Entry> out;
    for (const auto& kv : map) {
      const YAML::Node k = kv.first;
      if (!k.IsScalar()) {
        error(pos(k), "a key in " + context + " must be plain text, not " + describe(k));
        continue;
      }
      const std::string name = k.Scalar();
      if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
        std::string hint;
        std::string near = text::closest(name, allowed);
        if (!near.empty())
          hint = "did you mean '" + near + "'?";
        else
          hint = "known keys are " + text::quoted_list(allowed, 40);
        error(pos(k), "unknown key '" + name + "' in " + context, hint);
        continue;
      }
      auto [at, inserted] = out.emplace(name, Entry{k, kv.second});
      if (!inserted) {
        SourcePos first = pos(at->second.key);
        error(pos(k), "duplicate key '" + name + "' in " + context + " (first given at line " +
                          std::to_string(first.line) + ")",
              "keep one of them");
      }
    }
    return out;
  }

  // True when `map` has an unknown key that keys() reported as a typo of
  // `key`: the "missing 'key'" error would only repeat that message.
  bool misspelled(const YAML::Node& map, const std::string& key, const std::vector<std::string>& allowed) const {
    if (!map.IsMap()) return false;
    for (const auto& kv : map) {
      if (!kv.first.IsScalar()) continue;
      const std::string& name = kv.first.Scalar();
      if (std::find(allowed.begin(), allowed.end(), name) == allowed.end() && text::closest(name, allowed) == key)
        return true;
    }
    return false;
  }

  std::optional<std::string> text_value(const YAML::Node& n, const std::string& what) {
    if (n.IsScalar()) return n.Scalar();
    error(pos(n), what + " must be text, not " + describe(n),
          n.IsNull() ? "write the text after the colon"
                     : "write one text; put it in quotes if it starts with '[' or '{' or contains ': '");
    return std::nullopt;
  }

  // A number from `lo` to `hi`; by default a number of working days.
  std::optional<double> number(const YAML::Node& n, const std::string& what, double lo = 0,
                               double hi = kMaxDays, bool integer = false) {
    if (!n.IsScalar() || n.Tag() == "!") {
      error(pos(n), what + " must be a number, not " + describe(n) + (n.Tag() == "!" ? " (quoted text)" : ""),
            n.Tag() == "!" ? "remove the quotes" : std::string{});
      return std::nullopt;
    }
    const std::string& s = n.Scalar();
    char* end = nullptr;
    errno = 0;
    double v = std::strtod(s.c_str(), &end);
    if (s.empty() || end != s.c_str() + s.size() || errno == ERANGE || !std::isfinite(v) ||
        std::isalpha(static_cast<unsigned char>(s[0]))) {
      error(pos(n), what + " must be a number, not " + describe(n),
            integer ? "write a whole number in digits, for example 3" : "write it in digits, for example 5 or 2.5");
      return std::nullopt;
    }
    if (integer && v != std::floor(v)) {
      error(pos(n), what + " must be a whole number, not " + s);
      return std::nullopt;
    }
    if (v < lo) {
      error(pos(n), what + " must be " + (lo == 0 ? std::string("0 or more") : "at least " + fmt_num(lo)) +
                        ", not " + s);
      return std::nullopt;
    }
    if (v > hi) {
      error(pos(n), what + " must be at most " + fmt_num(hi) + ", not " + s,
            hi == kMaxDays ? "no time in a procedure is longer than " + fmt_num(kMaxDays) +
                                 " working days (some 400 years); check the number"
            : hi != 1 ? std::string{}
            : v >= 2 && v <= 100 ? "a probability is written between 0 and 1: for " + s + "% write " + fmt_num(v / 100)
                                 : "a probability is written between 0 and 1, for example 0.3");
      return std::nullopt;
    }
    return v;
  }

  std::optional<bool> boolean(const YAML::Node& n, const std::string& what) {
    if (n.IsScalar() && n.Tag() != "!") {
      const std::string& s = n.Scalar();
      if (s == "true" || s == "True" || s == "TRUE") return true;
      if (s == "false" || s == "False" || s == "FALSE") return false;
    }
    error(pos(n), what + " must be true or false, not " + describe(n));
    return std::nullopt;
  }

  // `deferred_decision:` hold or issue.
  std::optional<DeferredDecision> deferred_decision(const YAML::Node& n) {
    auto v = text_value(n, "'deferred_decision'");
    if (!v) return std::nullopt;
    if (*v == "hold") return DeferredDecision::hold;
    if (*v == "issue") return DeferredDecision::issue;
    std::string near = text::closest(*v, keys::deferred_decision);
    error(pos(n), "'deferred_decision' must be 'hold' or 'issue', not '" + *v + "'",
          near.empty() ? "hold: the decision waits for the deferred material; issue: the permit is issued and the material collected after"
                       : "did you mean '" + near + "'?");
    return std::nullopt;
  }

  // A list of texts; each item with its position.
  std::optional<std::vector<std::pair<std::string, SourcePos>>> text_list(const YAML::Node& n,
                                                                          const std::string& what) {
    if (n.IsNull()) return std::vector<std::pair<std::string, SourcePos>>{};
    if (!n.IsSequence()) {
      error(pos(n), what + " must be a list, not " + describe(n),
            n.IsScalar() ? "write [" + n.Scalar() + "]" : std::string{});
      return std::nullopt;
    }
    std::vector<std::pair<std::string, SourcePos>> out;
    std::map<std::string, SourcePos> seen;
    bool ok = true;
    for (const auto& item : n) {
      if (!item.IsScalar() || item.Scalar().empty()) {
        error(pos(item), "each entry of " + what + " must be text, not " + describe(item));
        ok = false;
        continue;
      }
      auto [at, inserted] = seen.emplace(item.Scalar(), pos(item));
      if (!inserted) {
        warning(pos(item), "'" + item.Scalar() + "' is listed twice in " + what, "remove one");
        continue;
      }
      out.emplace_back(item.Scalar(), pos(item));
    }
    if (!ok) return std::nullopt;
    return out;
  }

  std::optional<Distribution> distribution(const YAML::Node& n, const std::string& what) {
    if (n.IsScalar()) {
      auto v = number(n, what);
      if (!v) return std::nullopt;
      return Distribution::fixed_days(*v);
    }
    if (!n.IsMap()) {
      error(pos(n), what + " must be a number of working days or a mapping such as {dist: exponential, mean: 3}, not " +
                        describe(n));
      return std::nullopt;
    }
    auto k = keys(n, keys::distribution, what);
    auto d = k.find("dist");
    if (d == k.end()) {
      if (misspelled(n, "dist", keys::distribution)) return std::nullopt;
      error(pos(n), what + " has no 'dist'",
            "add 'dist:' with one of " + text::quoted_list(keys::distribution_kinds));
      return std::nullopt;
    }
    auto kind_text = text_value(d->second.value, "'dist'");
    if (!kind_text) return std::nullopt;
    Distribution out;
    std::vector<std::string> need;
    if (*kind_text == "fixed") { out.kind = Distribution::Kind::fixed; need = {"value"}; }
    else if (*kind_text == "exponential") { out.kind = Distribution::Kind::exponential; need = {"mean"}; }
    else if (*kind_text == "triangular") { out.kind = Distribution::Kind::triangular; need = {"min", "mode", "max"}; }
    else if (*kind_text == "pert") { out.kind = Distribution::Kind::pert; need = {"min", "mode", "max"}; }
    else if (*kind_text == "uniform") { out.kind = Distribution::Kind::uniform; need = {"min", "max"}; }
    else if (*kind_text == "lognormal") { out.kind = Distribution::Kind::lognormal; need = {"mean", "sd"}; }
    else {
      std::string near = text::closest(*kind_text, keys::distribution_kinds);
      error(pos(d->second.value), "unknown distribution '" + *kind_text + "'",
            near.empty() ? "use one of " + text::quoted_list(keys::distribution_kinds) : "did you mean '" + near + "'?");
      return std::nullopt;
    }
    bool ok = true;
    std::map<std::string, double> vals;
    for (const auto& name : need) {
      auto it = k.find(name);
      if (it == k.end()) {
        ok = false;
        if (misspelled(n, name, keys::distribution)) continue;
        error(pos(n), "distribution '" + *kind_text + "' needs '" + name + "'",
              "give " + text::quoted_list(need));
        ok = false;
        continue;
      }
      auto v = number(it->second.value, "'" + name + "'");
      if (!v) { ok = false; continue; }
      vals[name] = *v;
    }
    for (const auto& [name, e] : k) {
      if (name == "dist" || std::find(need.begin(), need.end(), name) != need.end()) continue;
      error(pos(e.key), "'" + name + "' does not apply to distribution '" + *kind_text + "'",
            "it takes " + text::quoted_list(need));
      ok = false;
    }
    if (!ok) return std::nullopt;
    out.value = vals["value"];
    out.mean = vals["mean"];
    out.sd = vals["sd"];
    out.min = vals["min"];
    out.mode = vals["mode"];
    out.max = vals["max"];
    switch (out.kind) {
      case Distribution::Kind::exponential:
      case Distribution::Kind::lognormal:
        if (out.mean <= 0) {
          error(pos(k["mean"].value), "'mean' of a " + *kind_text + " distribution must be more than 0");
          return std::nullopt;
        }
        break;
      case Distribution::Kind::triangular:
      case Distribution::Kind::pert:
        if (!(out.min <= out.mode && out.mode <= out.max) || out.min == out.max) {
          error(pos(n), "distribution '" + *kind_text + "' needs min <= mode <= max and min < max, but min is " +
                            fmt_num(out.min) + ", mode " + fmt_num(out.mode) + " and max " + fmt_num(out.max),
                "give the shortest, the most likely and the longest duration in that order");
          return std::nullopt;
        }
        break;
      case Distribution::Kind::uniform:
        if (out.min > out.max) {
          error(pos(n), "distribution 'uniform' needs min <= max, but min is " + fmt_num(out.min) + " and max " +
                            fmt_num(out.max),
                "swap the two values");
          return std::nullopt;
        }
        break;
      case Distribution::Kind::fixed: break;
    }
    return out;
  }

 private:
  const Source& src_;
  std::vector<Diagnostic>& diags_;
  bool warnings_ = true;
};

}  // namespace jointreview::loader
