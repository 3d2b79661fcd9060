// The workflow loader: YAML text -> validated Workflow, with every problem
// reported as FILE:LINE:COLUMN in one run.
#include "jointreview/loader.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <unordered_map>

#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/yaml.h>

#include "model/dep_graph.h"
#include "loader/keys.h"
#include "util/text_util.h"

namespace fs = std::filesystem;

namespace jointreview {

namespace {

using Severity = Diagnostic::Severity;

bool valid_id(const std::string& s) {
  if (s.empty()) return false;
  for (unsigned char c : s)
    if (!(std::isalnum(c) || c == '_' || c == '-')) return false;
  return true;
}

std::string fmt_num(double v) {
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

std::string describe(const YAML::Node& n) {
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

class Loader;

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

  std::optional<double> number(const YAML::Node& n, const std::string& what, double lo = 0,
                               double hi = HUGE_VAL, bool integer = false) {
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
            hi != 1 ? std::string{}
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


// A light scan of YAML text for flow brackets and quotes. yaml-cpp notices an
// unclosed '[' or quote only where the text ends or the next key starts; this
// scan finds where it was opened, so that the message can point there. It is
// used only to explain an error yaml-cpp already found.
struct FlowScan {
  std::vector<std::size_t> open;                       // unclosed '[' / '{' at the stop point
  std::size_t too_deep = std::string::npos;            // first bracket nested deeper than the limit
  std::size_t open_quote = std::string::npos;          // a quote never closed
};

FlowScan scan_flow(const std::string& t, std::size_t stop, std::size_t limit) {
  FlowScan r;
  stop = std::min(stop, t.size());
  char prev = '\n';  // last significant character: '\n' at a line start
  for (std::size_t i = 0; i < stop; ++i) {
    char ch = t[i];
    if (ch == '\n') { prev = '\n'; continue; }
    if (ch == ' ' || ch == '\t' || ch == '\r') continue;
    const bool value_start = prev == '\n' || prev == '-' || prev == ':' || prev == ',' || prev == '[' ||
                             prev == '{' || prev == '?';
    if (ch == '#' && (i == 0 || t[i - 1] == ' ' || t[i - 1] == '\t' || t[i - 1] == '\n')) {
      while (i < stop && t[i] != '\n') ++i;
      prev = '\n';
      continue;
    }
    if ((ch == '"' || ch == '\'') && value_start) {
      std::size_t j = i + 1;
      bool closed = false;
      while (j < t.size()) {
        if (ch == '"' && t[j] == '\\') { j += 2; continue; }
        if (t[j] == ch) {
          if (ch == '\'' && j + 1 < t.size() && t[j + 1] == '\'') { j += 2; continue; }
          closed = true;
          break;
        }
        ++j;
      }
      if (!closed) {
        r.open_quote = i;
        return r;
      }
      i = j;
      prev = ch;
      continue;
    }
    if ((ch == '[' || ch == '{') && (value_start || !r.open.empty())) {
      r.open.push_back(i);
      if (r.open.size() > limit && r.too_deep == std::string::npos) r.too_deep = i;
    } else if ((ch == ']' || ch == '}') && !r.open.empty()) {
      r.open.pop_back();
    }
    prev = ch;
  }
  return r;
}

// The first quoted scalar of the document whose closing quote is missing.
// yaml-cpp accepts a double-quoted text that runs to the end of the file
// when a line break follows the opening quote, swallowing every key after it.
std::optional<YAML::Mark> unterminated_quote(const YAML::Node& root, const std::string& t) {
  std::vector<YAML::Node> todo{root};
  while (!todo.empty()) {
    YAML::Node n = todo.back();
    todo.pop_back();
    if (n.IsMap()) {
      for (const auto& kv : n) {
        todo.push_back(kv.first);
        todo.push_back(kv.second);
      }
    } else if (n.IsSequence()) {
      for (const auto& item : n) todo.push_back(item);
    } else if (n.IsScalar() && n.Tag() == "!") {
      const YAML::Mark m = n.Mark();
      if (m.pos < 0 || static_cast<std::size_t>(m.pos) >= t.size()) continue;
      const std::size_t at = static_cast<std::size_t>(m.pos);
      const char q = t[at];
      if (q != '"' && q != '\'') continue;
      std::size_t j = at + 1;
      bool closed = false;
      while (j < t.size()) {
        if (q == '"' && t[j] == '\\') { j += 2; continue; }
        if (t[j] == q) {
          if (q == '\'' && j + 1 < t.size() && t[j + 1] == '\'') { j += 2; continue; }
          closed = true;
          break;
        }
        ++j;
      }
      if (!closed) return m;
    }
  }
  return std::nullopt;
}

// Indentation (in spaces) of line `line0`, and of the closest non-blank,
// non-comment line before it; -1 when there is none.
std::pair<int, int> indents(const std::string& t, int line0) {
  std::vector<std::pair<std::size_t, std::size_t>> lines;  // [start, end) of each line
  std::size_t start = 0;
  for (std::size_t i = 0; i <= t.size(); ++i)
    if (i == t.size() || t[i] == '\n') {
      lines.emplace_back(start, i);
      start = i + 1;
    }
  auto indent_of = [&](std::size_t l) -> int {
    auto [b, e] = lines[l];
    std::size_t i = b;
    while (i < e && t[i] == ' ') ++i;
    if (i == e || t[i] == '#' || t[i] == '\r') return -1;
    return static_cast<int>(i - b);
  };
  if (line0 < 0 || static_cast<std::size_t>(line0) >= lines.size()) return {-1, -1};
  int here = indent_of(static_cast<std::size_t>(line0));
  for (int l = line0 - 1; l >= 0; --l) {
    int before = indent_of(static_cast<std::size_t>(l));
    if (before >= 0) {
      // A line ending in ':' opens a block: deeper indentation is expected after it.
      auto [b, e] = lines[static_cast<std::size_t>(l)];
      std::string_view line(t.data() + b, e - b);
      while (!line.empty() && (line.back() == ' ' || line.back() == '\r')) line.remove_suffix(1);
      if (!line.empty() && line.back() == ':' && here > before) return {here, here};
      return {here, before};
    }
  }
  return {here, -1};
}

std::string spaces(int n) { return std::to_string(n) + (n == 1 ? " space" : " spaces"); }

struct RawFile {
  Workflow wf;
  std::vector<SourcePos> include_pos;  // positions of include entries
  bool usable = false;                 // parsed far enough to take part in a package
};

class Loader {
 public:
  Loader(const LoadOptions& opt, std::vector<Diagnostic>& diags) : opt_(opt), diags_(diags) {}

  // Parses one file (and, recursively, its includes) into a merged workflow.
  std::optional<Workflow> load(const std::string& name, std::string text, std::vector<std::string>& stack);

  void finalize(Workflow& wf);

 private:
  std::optional<Workflow> parse(const Source& src, std::vector<std::string>& stack);
  void syntax_error(Ctx& c, const YAML::ParserException& e);
  void parse_step(Ctx& c, const YAML::Node& n, Step& s, bool& ok);
  void merge_include(Ctx& c, Workflow& pkg, Workflow&& item, const SourcePos& at);

  const LoadOptions& opt_;
  std::vector<Diagnostic>& diags_;
  std::size_t files_loaded_ = 0;
  SourcePos time_limit_pos_;  // of the file being validated (not of its includes)
};

bool read_file(const LoadOptions& opt, const std::string& path, std::string& out, std::string& why) {
  if (opt.read_file) return opt.read_file(path, out, why);
  return text::read_file(path, out, why);
}

std::optional<Workflow> Loader::load(const std::string& name, std::string text,
                                     std::vector<std::string>& stack) {
  ++files_loaded_;
  // A UTF-8 byte order mark is not part of the text: editors count columns after it.
  if (text.rfind("\xEF\xBB\xBF", 0) == 0) text.erase(0, 3);
  Source src(name, std::move(text));
  Ctx c(src, diags_, opt_.warnings);
  const std::string& t = src.text();
  std::size_t bad = text::find_invalid_utf8(t);
  if (bad != std::string::npos) {
    char byte[8];
    std::snprintf(byte, sizeof byte, "0x%02X", static_cast<unsigned char>(t[bad]));
    c.error(src.at_byte_offset(bad), std::string("the file is not valid UTF-8 text (byte ") + byte + " here)",
            "save it as UTF-8 (GBK and GB18030 files must be converted, for example with iconv -f GBK -t UTF-8)");
    return std::nullopt;
  }
  return parse(src, stack);
}

std::optional<Workflow> Loader::parse(const Source& src, std::vector<std::string>& stack) {
  Ctx c(src, diags_, opt_.warnings);
  const std::string& body = src.text();
  auto offset_of = [&](const YAML::Mark& m) {
    return m.pos >= 0 ? std::min(static_cast<std::size_t>(m.pos), body.size()) : body.size();
  };
  YAML::Node root;
  try {
    root = YAML::Load(body);
  } catch (const YAML::DeepRecursion& e) {
    FlowScan scan = scan_flow(body, body.size(), static_cast<std::size_t>(e.depth()));
    SourcePos at = scan.too_deep != std::string::npos ? src.at_byte_offset(scan.too_deep) : src.at(e.mark);
    c.error(at, "the YAML nests too deeply: more than " + std::to_string(e.depth()) + " levels at this point",
            "a workflow needs only a few levels; look for runaway brackets");
    return std::nullopt;
  } catch (const YAML::ParserException& e) {
    syntax_error(c, e);
    return std::nullopt;
  } catch (const YAML::Exception& e) {
    c.error(src.at(e.mark), "YAML error: " + e.msg);
    return std::nullopt;
  }
  if (auto m = unterminated_quote(root, body)) {
    c.error(src.at(*m), std::string("YAML syntax error: the quote opened here is never closed"),
            std::string("add the closing ") + body[offset_of(*m)] + " at the end of the text");
    return std::nullopt;
  }
  SourcePos top{src.file(), 1, 1};
  if (!root.IsDefined() || root.IsNull()) {
    bool blank = body.find_first_not_of(" \t\r\n") == std::string::npos;
    c.error(top, blank ? "the file is empty" : "the file holds only comments, no workflow",
            "a workflow needs at least 'workflow:' (its id) and 'steps:'");
    return std::nullopt;
  }
  if (!root.IsMap()) {
    c.error(c.pos(root), "a workflow file must be a mapping of keys such as 'workflow:' and 'steps:', not " +
                             describe(root),
            root.IsSequence() ? "start the file with 'workflow: ID' and put the list under 'steps:'" : std::string{});
    return std::nullopt;
  }
  Workflow wf;
  wf.file = src.file();
  wf.pos = top;
  auto k = c.keys(root, keys::workflow, "the workflow");

  if (auto it = k.find("workflow"); it == k.end()) {
    if (!c.misspelled(root, "workflow", keys::workflow))
      c.error(top, "missing 'workflow:', the workflow id", "add for example 'workflow: my-procedure' as the first line");
  } else if (auto id = c.text_value(it->second.value, "'workflow'")) {
    if (!valid_id(*id))
      c.error(c.pos(it->second.value), "workflow id '" + *id + "' may contain only letters, digits, _ and -",
              "keep Chinese names for 'title:'");
    wf.id = *id;
  }
  if (auto it = k.find("title"); it != k.end())
    if (auto v = c.text_value(it->second.value, "'title'")) wf.title = *v;
  if (auto it = k.find("description"); it != k.end()) c.text_value(it->second.value, "'description'");
  if (auto it = k.find("calendar"); it != k.end()) {
    if (auto v = c.text_value(it->second.value, "'calendar'")) {
      auto known = known_calendars(src.file(), opt_);
      if (std::find(known.begin(), known.end(), *v) == known.end()) {
        std::string near = text::closest(*v, known);
        c.error(c.pos(it->second.value), "unknown calendar '" + *v + "'",
                near.empty() ? (known.empty() ? "no calendar files were found; put ID.yaml in a calendars/ folder beside the workflow"
                                              : "known calendars are " + text::quoted_list(known))
                             : "did you mean '" + near + "'?");
      }
      wf.calendar = *v;
    }
  }
  if (auto it = k.find("time_limit"); it != k.end()) {
    wf.time_limit = c.number(it->second.value, "'time_limit'");
    if (stack.size() == 1) time_limit_pos_ = c.pos(it->second.value);
  }
  if (auto it = k.find("warn_before"); it != k.end())
    if (auto v = c.number(it->second.value, "'warn_before'")) wf.warn_before = *v;
  if (auto it = k.find("contact_within"); it != k.end())
    if (auto v = c.number(it->second.value, "'contact_within'")) wf.contact_within = *v;
  if (auto it = k.find("window"); it != k.end())
    if (auto v = c.text_value(it->second.value, "'window'")) wf.window = *v;
  if (auto it = k.find("priority"); it != k.end()) {
    if (auto v = c.text_value(it->second.value, "'priority'")) {
      if (*v != "normal" && *v != "green")
        c.error(c.pos(it->second.value), "'priority' must be 'normal' or 'green', not '" + *v + "'");
      else
        wf.priority = *v;
    }
  }

  if (auto it = k.find("departments"); it != k.end()) {
    const YAML::Node& dn = it->second.value;
    if (dn.IsNull()) {
    } else if (!dn.IsMap()) {
      c.error(c.pos(dn), "'departments' must be a mapping from department name to its settings, not " + describe(dn),
              "write for example '住建局: {capacity: 3}'");
    } else {
      for (const auto& kv : dn) {
        const YAML::Node key = kv.first;
        if (!key.IsScalar() || key.Scalar().empty()) {
          c.error(c.pos(key), "a department name must be text, not " + describe(key));
          continue;
        }
        Department dep;
        dep.name = key.Scalar();
        dep.pos = c.pos(key);
        if (long prev = wf.find_department(dep.name); prev >= 0) {
          c.error(dep.pos, "department '" + dep.name + "' is declared twice (first at line " +
                               std::to_string(wf.departments[static_cast<std::size_t>(prev)].pos.line) + ")",
                  "keep one of them");
          continue;
        }
        const YAML::Node dv = kv.second;
        if (dv.IsMap()) {
          auto dk = c.keys(dv, keys::department, "department '" + dep.name + "'");
          if (auto ci = dk.find("capacity"); ci != dk.end()) {
            if (auto v = c.number(ci->second.value, "'capacity'", 1, 1e6, true))
              dep.capacity = static_cast<int>(*v);
            else if (ci->second.value.IsScalar() && ci->second.value.Scalar() == "0")
              diags_.back().hint = "leave 'capacity' out when the department has no limit";
          }
          if (auto wi = dk.find("description"); wi != dk.end()) c.text_value(wi->second.value, "'description'");
        } else if (!dv.IsNull()) {
          c.error(c.pos(dv), "the settings of department '" + dep.name + "' must be a mapping, not " + describe(dv),
                  "write for example '" + dep.name + ": {capacity: 3}'");
        }
        wf.departments.push_back(std::move(dep));
      }
    }
  }

  // Includes (a package): each file is loaded and merged before own steps.
  if (auto it = k.find("includes"); it != k.end()) {
    if (auto list = c.text_list(it->second.value, "'includes'")) {
      fs::path base = fs::path(src.file()).parent_path();
      for (const auto& [rel, at] : *list) {
        fs::path p = base / rel;
        std::error_code ec;
        fs::path canon = fs::weakly_canonical(p, ec);
        std::string key = ec ? p.lexically_normal().string() : canon.string();
        if (std::find(stack.begin(), stack.end(), key) != stack.end()) {
          std::string chain;
          for (const auto& s : stack) chain += fs::path(s).filename().string() + " -> ";
          c.error(at, "include cycle: " + chain + fs::path(key).filename().string(),
                  "a package may include items, but an item may not include the package");
          continue;
        }
        if (stack.size() > 16) {
          c.error(at, "includes nest more than 16 files deep");
          continue;
        }
        std::string text, why;
        std::string display = p.lexically_normal().string();
        if (!read_file(opt_, display, text, why)) {
          c.error(at, "cannot read included file '" + rel + "': " + why, "paths are relative to this file's folder");
          continue;
        }
        stack.push_back(key);
        std::size_t before = diags_.size();
        auto item = load(display, std::move(text), stack);
        stack.pop_back();
        if (!item) {
          if (!has_errors({diags_.begin() + static_cast<long>(before), diags_.end()}))
            c.error(at, "included file '" + rel + "' is not a usable workflow");
          continue;
        }
        wf.includes.push_back(display);
        merge_include(c, wf, std::move(*item), at);
      }
    }
  }

  auto steps_it = k.find("steps");
  if (steps_it == k.end() || steps_it->second.value.IsNull()) {
    if (wf.includes.empty() && k.find("includes") == k.end())
      c.error(steps_it == k.end() ? top : c.pos(steps_it->second.key), "the workflow has no steps",
              "add 'steps:' with at least one step, or 'includes:' for a package");
  } else if (!steps_it->second.value.IsSequence()) {
    const YAML::Node& sv = steps_it->second.value;
    std::string first = sv.IsMap() && sv.begin() != sv.end() && sv.begin()->first.IsScalar()
                            ? sv.begin()->first.Scalar() : std::string("...");
    c.error(c.pos(sv), "'steps' must be a list of steps, not " + describe(sv),
            sv.IsMap() ? "start each step with '- id: " + first + "' instead of '" + first + ":'"
                       : std::string("start each step with '- id: ...'"));
  } else {
    const YAML::Node& sn = steps_it->second.value;
    if (sn.size() == 0 && wf.includes.empty())
      c.error(c.pos(sn), "the workflow has no steps", "add at least one step");
    // Ids seen so far (included items first), for a linear duplicate check.
    std::unordered_map<std::string, std::size_t> seen_ids;
    for (std::size_t i = 0; i < wf.steps.size(); ++i) seen_ids.emplace(wf.steps[i].id, i);
    for (const auto& item : sn) {
      Step s;
      bool ok = true;
      parse_step(c, item, s, ok);
      if (s.id.empty()) continue;
      auto [seen, fresh] = seen_ids.emplace(s.id, wf.steps.size());
      if (!fresh) {
        const std::size_t prev = seen->second;
        const SourcePos& p = wf.steps[prev].id_pos;
        c.error(s.id_pos, "duplicate step id '" + s.id + "' (first defined at " +
                              (p.file == s.id_pos.file ? "line " + std::to_string(p.line)
                                                       : p.file + ":" + std::to_string(p.line)) + ")",
                "step ids must be unique; rename one of them");
        continue;
      }
      s.origin = wf.id;
      wf.steps.push_back(std::move(s));
    }
  }
  return wf;
}

// yaml-cpp's parser messages, told in the author's terms and placed where
// the fix goes when that can be found.
void Loader::syntax_error(Ctx& c, const YAML::ParserException& e) {
  const Source& src = c.src();
  const std::string& t = src.text();
  const std::string& msg = e.msg;
  const std::size_t at = e.mark.pos >= 0 ? std::min(static_cast<std::size_t>(e.mark.pos), t.size()) : t.size();
  const std::string generic_hint = "check indentation, colons and closing brackets or quotes here or on the line before";
  if (msg == "end of sequence flow not found" || msg == "end of map flow not found") {
    const char open = msg == "end of sequence flow not found" ? '[' : '{';
    const char close = open == '[' ? ']' : '}';
    FlowScan scan = scan_flow(t, at, SIZE_MAX);
    for (auto it = scan.open.rbegin(); it != scan.open.rend(); ++it) {
      if (t[*it] != open) continue;
      c.error(src.at_byte_offset(*it), std::string("YAML syntax error: this '") + open + "' is never closed",
              std::string("add '") + close + "' where the " + (open == '[' ? "list" : "mapping") + " ends");
      return;
    }
    c.error(src.at(e.mark), std::string("YAML syntax error: a '") + open + "' is never closed",
            std::string("add the missing '") + close + "'");
    return;
  }
  if (msg == "illegal EOF in scalar" || msg == "end of string not found") {
    FlowScan scan = scan_flow(t, t.size(), SIZE_MAX);
    if (scan.open_quote != std::string::npos) {
      c.error(src.at_byte_offset(scan.open_quote), "YAML syntax error: the quote opened here is never closed",
              std::string("add the closing ") + t[scan.open_quote] + " at the end of the text");
      return;
    }
    c.error(src.at(e.mark), "YAML syntax error: a quoted text is never closed", "add the closing quote");
    return;
  }
  if (msg.rfind("illegal tab", 0) == 0) {
    c.error(src.at(e.mark), "YAML syntax error: a tab is used for indentation",
            "YAML indents with spaces only; replace the tab with spaces");
    return;
  }
  if (msg == "illegal map value" || msg == "end of map not found" || msg == "end of sequence not found" ||
      msg == "illegal block entry") {
    auto [here, before] = indents(t, e.mark.line);
    if (here >= 0 && before >= 0 && here != before) {
      c.error(src.at(e.mark.line, here),
              "YAML syntax error: this line is indented by " + spaces(here) + ", the line before it by " +
                  spaces(before),
              "the keys of one mapping, and the items of one list, must start in the same column");
      return;
    }
    if (msg == "illegal map value") {
      c.error(src.at(e.mark), "YAML syntax error: this ': ' cannot follow a value on the same line",
              "put a text that contains ': ' in quotes, or start a new line for the next key");
      return;
    }
  }
  if (msg == "illegal block entry") {
    c.error(src.at(e.mark), "YAML syntax error: a list item '- ' cannot start here",
            "start the list on a new line below its key, or write it in brackets: [a, b]");
    return;
  }
  if (msg == "illegal flow end") {
    c.error(src.at(e.mark), "YAML syntax error: a closing bracket with no opening one", "remove it, or add the '[' or '{'");
    return;
  }
  std::string text = msg;
  if (text == "bad file") text = "the YAML cannot be read (nesting too deep or broken structure)";
  c.error(src.at(e.mark), "YAML syntax error: " + text, generic_hint);
}

void Loader::merge_include(Ctx& c, Workflow& pkg, Workflow&& item, const SourcePos& at) {
  if (!item.calendar.empty() && item.calendar != pkg.calendar)
    c.warning(at, "included workflow '" + item.id + "' uses calendar '" + item.calendar +
                      "' but the package uses '" + pkg.calendar + "'; the package's calendar applies");
  for (auto& d : item.departments) {
    long have = pkg.find_department(d.name);
    if (have < 0) pkg.departments.push_back(std::move(d));
  }
  for (auto& s : item.steps) {
    long prev = pkg.find_step(s.id);
    if (prev >= 0) {
      const SourcePos& p = pkg.steps[prev].id_pos;
      c.error(s.id_pos, "step id '" + s.id + "' is already defined at " + p.file + ":" + std::to_string(p.line) +
                            ":" + std::to_string(p.column),
              "step ids must be unique across a package (here '" + pkg.id + "'); rename one of them");
      continue;
    }
    s.origin = item.id;
    pkg.steps.push_back(std::move(s));
  }
}

void Loader::parse_step(Ctx& c, const YAML::Node& n, Step& s, bool& ok) {
  s.pos = c.pos(n);
  if (!n.IsMap()) {
    c.error(s.pos, "a step must be a mapping with at least 'id', 'department' and 'days', not " + describe(n));
    ok = false;
    return;
  }
  std::string ctx = "step";
  // A const lookup of a missing key yields an invalid node: test IsDefined() first.
  if (const YAML::Node idn = n["id"]; idn.IsDefined() && idn.IsScalar() && valid_id(idn.Scalar()))
    ctx = "step '" + idn.Scalar() + "'";
  auto k = c.keys(n, keys::step, ctx);
  if (auto it = k.find("id"); it == k.end()) {
    if (!c.misspelled(n, "id", keys::step)) {
      std::string named = k.count("name") && k["name"].value.IsScalar() ? " '" + k["name"].value.Scalar() + "'" : "";
      c.error(s.pos, "step" + named + " has no 'id'", "add 'id:' with a unique name of letters, digits, _ and -");
    }
    ok = false;
  } else if (auto v = c.text_value(it->second.value, "'id'")) {
    s.id_pos = c.pos(it->second.value);
    if (!valid_id(*v)) {
      c.error(s.id_pos, "step id '" + *v + "' may contain only letters, digits, _ and -",
              "keep Chinese names for 'name:'");
      ok = false;
    } else {
      s.id = *v;
      ctx = "step '" + s.id + "'";
    }
  }
  if (auto it = k.find("name"); it != k.end()) {
    if (auto v = c.text_value(it->second.value, "'name'")) s.name = *v;
  }
  if (s.name.empty()) s.name = s.id;
  for (const char* free_text : {"description", "responsible"})
    if (auto it = k.find(free_text); it != k.end()) c.text_value(it->second.value, std::string("'") + free_text + "'");

  auto dep1 = k.find("department");
  auto depn = k.find("departments");
  if (dep1 != k.end() && depn != k.end()) {
    c.error(c.pos(depn->second.key), ctx + " has both 'department' and 'departments'",
            "use 'department' for one reviewer or 'departments' for a joint review");
  } else if (dep1 != k.end()) {
    if (auto v = c.text_value(dep1->second.value, "'department'")) {
      if (v->empty()) c.error(c.pos(dep1->second.value), "'department' is empty");
      else s.departments.push_back(*v);
    }
  } else if (depn != k.end()) {
    if (auto list = c.text_list(depn->second.value, "'departments'")) {
      for (auto& [d, p] : *list) s.departments.push_back(d);
      if (s.departments.empty())
        c.error(c.pos(depn->second.value), "'departments' of " + ctx + " is empty",
                "list the departments that review it together");
    }
  } else if ((!s.id.empty() || k.count("id")) && !c.misspelled(n, "department", keys::step) &&
             !c.misspelled(n, "departments", keys::step)) {
    c.error(s.pos, ctx + " names no department", "add 'department:' (or 'departments:' for a joint review)");
  }
  if (auto it = k.find("lead"); it != k.end()) {
    if (auto v = c.text_value(it->second.value, "'lead'")) {
      if (!s.departments.empty() && std::find(s.departments.begin(), s.departments.end(), *v) == s.departments.end())
        c.error(c.pos(it->second.value), "lead department '" + *v + "' is not among the departments of " + ctx,
                "add it to 'departments' or choose one of " + text::quoted_list(s.departments));
      s.lead = *v;
    }
  }
  if (s.lead.empty() && !s.departments.empty()) s.lead = s.departments.front();

  if (auto it = k.find("days"); it == k.end()) {
    if (!c.misspelled(n, "days", keys::step))
      c.error(s.pos, ctx + " has no 'days'", "add 'days:' with its promised time limit in working days");
  } else if (auto v = c.number(it->second.value, "'days'")) {
    s.days = *v;
  }
  if (auto it = k.find("statutory_days"); it != k.end()) {
    s.statutory_days = c.number(it->second.value, "'statutory_days'");
    if (s.statutory_days && *s.statutory_days < s.days)
      c.warning(c.pos(it->second.value), "the promised 'days' (" + fmt_num(s.days) + ") of " + ctx +
                                             " exceed its 'statutory_days' (" + fmt_num(*s.statutory_days) + ")",
                "a promised limit is normally shorter than the legal one");
  }
  auto list_into = [&](const char* key, std::vector<std::string>& out, std::vector<SourcePos>* positions) {
    if (auto it = k.find(key); it != k.end()) {
      if (auto list = c.text_list(it->second.value, std::string("'") + key + "'")) {
        for (auto& [v, p] : *list) {
          out.push_back(v);
          if (positions) positions->push_back(p);
        }
      }
    }
  };
  list_into("needs", s.needs, &s.needs_pos);
  list_into("produces", s.produces, &s.produces_pos);
  list_into("after", s.after, &s.after_pos);

  if (auto it = k.find("deferred"); it != k.end()) {
    const YAML::Node& dn = it->second.value;
    if (!dn.IsSequence()) {
      c.error(c.pos(dn), "'deferred' must be a list of {material, within}, not " + describe(dn),
              "write for example '- {material: 施工图审查合格书, within: 10}'");
    } else {
      for (const auto& e : dn) {
        DeferredMaterial dm;
        dm.pos = c.pos(e);
        if (e.IsScalar()) {
          c.error(dm.pos, "a deferred material needs a deadline",
                  "write '{material: " + e.Scalar() + ", within: 10}' (working days after acceptance)");
          continue;
        }
        if (!e.IsMap()) {
          c.error(dm.pos, "each entry of 'deferred' must be a mapping, not " + describe(e));
          continue;
        }
        auto dk = c.keys(e, keys::deferred, "a deferred material");
        if (auto mi = dk.find("material"); mi == dk.end()) {
          if (!c.misspelled(e, "material", keys::deferred))
            c.error(dm.pos, "a deferred material has no 'material'", "name one of the step's 'needs'");
          continue;
        } else if (auto v = c.text_value(mi->second.value, "'material'")) {
          dm.material = *v;
          if (std::find(s.needs.begin(), s.needs.end(), *v) == s.needs.end())
            c.error(c.pos(mi->second.value), "deferred material '" + *v + "' is not in the 'needs' of " + ctx,
                    "only a material the step needs can be supplied later; add it to 'needs'");
        }
        if (auto wi = dk.find("within"); wi == dk.end()) {
          if (!c.misspelled(e, "within", keys::deferred))
            c.error(dm.pos, "deferred material '" + dm.material + "' has no 'within'",
                  "add 'within:' with the working days after acceptance by which it must arrive");
        } else if (auto v = c.number(wi->second.value, "'within'"))
          dm.within = *v;
        if (auto gi = dk.find("grace"); gi != dk.end())
          if (auto v = c.number(gi->second.value, "'grace'")) dm.grace = *v;
        if (auto li = dk.find("late_probability"); li != dk.end())
          if (auto v = c.number(li->second.value, "'late_probability'", 0, 1)) dm.late_probability = *v;
        s.deferred.push_back(dm);
      }
    }
  }
  if (auto it = k.find("commitment"); it != k.end()) {
    const YAML::Node& cn = it->second.value;
    s.commitment.pos = c.pos(cn);
    if (!cn.IsMap()) {
      c.error(c.pos(cn), "'commitment' must be a mapping such as {verify_after: 20}, not " + describe(cn));
    } else {
      auto ck = c.keys(cn, keys::commitment, "'commitment'");
      s.commitment.enabled = true;
      if (auto vi = ck.find("verify_after"); vi == ck.end()) {
        if (!c.misspelled(cn, "verify_after", keys::commitment))
          c.error(c.pos(cn), "'commitment' of " + ctx + " has no 'verify_after'",
                "add 'verify_after:' with the working days after approval when the verification falls due");
      } else if (auto v = c.number(vi->second.value, "'verify_after'"))
        s.commitment.verify_after = *v;
      if (auto fi = ck.find("fail_probability"); fi != ck.end())
        if (auto v = c.number(fi->second.value, "'fail_probability'", 0, 1)) s.commitment.fail_probability = *v;
    }
  }
  if (auto it = k.find("excluded"); it != k.end()) {
    const YAML::Node& en = it->second.value;
    if (!en.IsSequence()) {
      c.error(c.pos(en), "'excluded' must be a list of {reason, days}, not " + describe(en),
              "write for example '- {reason: 专家评审, days: 5}'");
    } else {
      for (const auto& e : en) {
        ExcludedTime x;
        x.pos = c.pos(e);
        if (!e.IsMap()) {
          c.error(x.pos, "each entry of 'excluded' must be a mapping such as {reason: 听证, days: 10}, not " + describe(e));
          continue;
        }
        auto ek = c.keys(e, keys::excluded, "an excluded period");
        if (auto ri = ek.find("reason"); ri == ek.end()) {
          if (!c.misspelled(e, "reason", keys::excluded))
            c.error(x.pos, "an excluded period of " + ctx + " has no 'reason'",
                    "add 'reason:' saying what stops the clock, for example 专家评审 or 听证");
        } else if (auto v = c.text_value(ri->second.value, "'reason'"))
          x.reason = *v;
        if (auto di = ek.find("days"); di == ek.end()) {
          if (!c.misspelled(e, "days", keys::excluded))
            c.error(x.pos, "an excluded period of " + ctx + (x.reason.empty() ? "" : " (" + x.reason + ")") +
                               " has no 'days'",
                    "add 'days:' with its length in working days");
        } else if (auto v = c.distribution(di->second.value, "'days'"))
          x.days = *v;
        s.excluded.push_back(x);
      }
    }
  }
  if (auto it = k.find("duration"); it != k.end()) s.duration = c.distribution(it->second.value, "'duration'");
  if (auto it = k.find("correction"); it != k.end()) {
    const YAML::Node& cn = it->second.value;
    s.correction.pos = c.pos(cn);
    if (!cn.IsMap()) {
      c.error(c.pos(cn), "'correction' must be a mapping such as {probability: 0.3, turnaround: 5}, not " + describe(cn));
    } else {
      auto ck = c.keys(cn, keys::correction, "'correction'");
      if (auto pi = ck.find("probability"); pi == ck.end()) {
        if (!c.misspelled(cn, "probability", keys::correction))
          c.error(c.pos(cn), "'correction' of " + ctx + " has no 'probability'",
                "add 'probability:' between 0 and 1, the chance a reviewing department asks for corrections");
      } else if (auto v = c.number(pi->second.value, "'probability'", 0, 1))
        s.correction.probability = *v;
      if (auto ti = ck.find("turnaround"); ti != ck.end()) {
        if (auto v = c.distribution(ti->second.value, "'turnaround'")) s.correction.turnaround = *v;
      } else {
        s.correction.turnaround = Distribution::fixed_days(5);
      }
      if (auto mi = ck.find("max_rounds"); mi != ck.end())
        if (auto v = c.number(mi->second.value, "'max_rounds'", 1, 100, true)) s.correction.max_rounds = static_cast<int>(*v);
    }
  }
  if (auto it = k.find("window"); it != k.end())
    if (auto v = c.text_value(it->second.value, "'window'")) s.window = *v;
  if (auto it = k.find("online"); it != k.end())
    if (auto v = c.boolean(it->second.value, "'online'")) s.online = *v;
}

std::string pos_short(const SourcePos& p, const std::string& here) {
  if (p.file == here) return "line " + std::to_string(p.line);
  return p.file + ":" + std::to_string(p.line);
}

void Loader::finalize(Workflow& wf) {
  auto error = [&](const SourcePos& p, std::string m, std::string h = {}) {
    diags_.push_back({Severity::error, p, std::move(m), std::move(h)});
  };
  auto warning = [&](const SourcePos& p, std::string m, std::string h = {}) {
    if (opt_.warnings) diags_.push_back({Severity::warning, p, std::move(m), std::move(h)});
  };
  const std::size_t n = wf.steps.size();
  std::unordered_map<std::string, std::size_t> index;
  std::vector<std::string> ids;
  for (std::size_t i = 0; i < n; ++i) {
    index.emplace(wf.steps[i].id, i);
    ids.push_back(wf.steps[i].id);
  }
  // Departments used by steps but not declared are implied, with no capacity limit.
  std::set<std::string> used;
  for (const auto& s : wf.steps)
    for (const auto& d : s.departments) {
      used.insert(d);
      if (wf.find_department(d) < 0) wf.departments.push_back({d, 0, s.pos});
    }
  for (const auto& d : wf.departments)
    if (!used.count(d.name) && d.pos.line > 0)
      warning(d.pos, "department '" + d.name + "' has no steps", "remove it, or assign it a step");

  // Producers of each document.
  std::unordered_map<std::string, std::size_t> producer;
  for (std::size_t i = 0; i < n; ++i) {
    const Step& s = wf.steps[i];
    for (std::size_t j = 0; j < s.produces.size(); ++j) {
      auto [it, inserted] = producer.emplace(s.produces[j], i);
      if (!inserted) {
        const Step& first = wf.steps[it->second];
        error(s.produces_pos[j], "document '" + s.produces[j] + "' is produced by both '" + first.id + "' and '" +
                                     s.id + "'",
              "give each document one issuing step, or name them differently");
      }
    }
  }
  // Dependencies.
  std::set<std::tuple<std::size_t, std::size_t, int>> seen;
  for (std::size_t i = 0; i < n; ++i) {
    Step& s = wf.steps[i];
    for (std::size_t j = 0; j < s.after.size(); ++j) {
      auto it = index.find(s.after[j]);
      if (it == index.end()) {
        std::string near = text::closest(s.after[j], ids);
        error(s.after_pos[j], "step '" + s.id + "' comes after unknown step '" + s.after[j] + "'",
              near.empty() ? "the step ids are " + text::quoted_list(ids) : "did you mean '" + near + "'?");
        continue;
      }
      if (it->second == i) {
        error(s.after_pos[j], "step '" + s.id + "' cannot come after itself", "remove it from 'after'");
        continue;
      }
      if (seen.emplace(it->second, i, 0).second)
        wf.dependencies.push_back({it->second, i, Dependency::Kind::after, {}, s.after_pos[j]});
    }
    for (std::size_t j = 0; j < s.needs.size(); ++j) {
      auto it = producer.find(s.needs[j]);
      if (it == producer.end()) {
        if (std::find(wf.applicant_materials.begin(), wf.applicant_materials.end(), s.needs[j]) ==
            wf.applicant_materials.end())
          wf.applicant_materials.push_back(s.needs[j]);
        continue;
      }
      if (it->second == i) {
        error(s.needs_pos[j], "step '" + s.id + "' needs '" + s.needs[j] + "', which it produces itself",
              "remove it from 'needs' or from 'produces'");
        continue;
      }
      if (seen.emplace(it->second, i, 1).second)
        wf.dependencies.push_back({it->second, i, Dependency::Kind::material, s.needs[j], s.needs_pos[j]});
    }
    for (const auto& dm : s.deferred) {
      if (producer.count(dm.material))
        warning(dm.pos, "deferred material '" + dm.material + "' is issued by step '" +
                            wf.steps[producer[dm.material]].id + "', so " + "'" + s.id +
                            "' still waits for that step to be approved",
                "容缺受理 lets the applicant's own materials arrive late; issued documents still order the steps");
    }
  }
  auto cycles = graph::find_cycles(n, wf.dependencies);
  for (const auto& cyc : cycles) {
    std::string path = wf.steps[wf.dependencies[cyc.front()].from].id;
    std::string how;
    for (std::size_t e : cyc) {
      const Dependency& d = wf.dependencies[e];
      path += " -> " + wf.steps[d.to].id;
      if (!how.empty()) how += ", ";
      if (d.kind == Dependency::Kind::after)
        how += "'" + wf.steps[d.to].id + "' is after '" + wf.steps[d.from].id + "' (" + pos_short(d.pos, wf.file) + ")";
      else
        how += "'" + wf.steps[d.to].id + "' needs '" + d.material + "' from '" + wf.steps[d.from].id + "' (" +
               pos_short(d.pos, wf.file) + ")";
    }
    error(wf.dependencies[cyc.back()].pos, "dependency cycle: " + path + ": " + how,
          "remove one of these dependencies");
  }
  if (!cycles.empty() || has_errors(diags_)) return;

  for (const auto& r : graph::redundant_after(n, wf.dependencies)) {
    const Dependency& d = wf.dependencies[r.dep];
    const Dependency& via = wf.dependencies[r.via];
    std::string why = r.direct_material
                          ? "it needs '" + via.material + "', which '" + wf.steps[d.from].id + "' produces"
                          : "it already waits for '" + wf.steps[d.from].id + "' through '" + wf.steps[via.to].id + "'";
    warning(d.pos, "'after: " + wf.steps[d.from].id + "' in step '" + wf.steps[d.to].id + "' is redundant: " + why,
            "remove it");
  }
  std::vector<char> has_successor(n, 0);
  for (const auto& d : wf.dependencies) has_successor[d.from] = 1;
  for (std::size_t i = 0; i < n; ++i)
    if (!has_successor[i] && wf.steps[i].produces.empty())
      warning(wf.steps[i].id_pos, "step '" + wf.steps[i].id + "' produces nothing and no step depends on it",
              "add what it issues to 'produces', or remove the step");

  // A promised total shorter than the longest chain of promised limits can never be met.
  if (wf.time_limit) {
    auto order = graph::topological_order(n, wf.dependencies);
    std::vector<std::vector<std::size_t>> preds(n);
    for (const auto& d : wf.dependencies) preds[d.to].push_back(d.from);
    std::vector<double> finish(n, 0);
    std::vector<std::size_t> via(n, SIZE_MAX);  // the predecessor that finishes last
    double longest = 0;
    std::size_t last = SIZE_MAX;
    for (std::size_t u : order) {
      double start = 0;
      for (std::size_t p : preds[u])
        if (via[u] == SIZE_MAX || finish[p] > start) {
          start = finish[p];
          via[u] = p;
        }
      finish[u] = start + wf.steps[u].days;
      if (last == SIZE_MAX || finish[u] > longest) {
        longest = finish[u];
        last = u;
      }
    }
    if (longest > *wf.time_limit) {
      std::vector<std::string> chain;
      for (std::size_t u = last; u != SIZE_MAX; u = via[u])
        chain.push_back(wf.steps[u].id + " (" + fmt_num(wf.steps[u].days) + ")");
      std::reverse(chain.begin(), chain.end());
      std::string path;
      for (const auto& x : chain) path += (path.empty() ? "" : " -> ") + x;
      warning(time_limit_pos_.line > 0 ? time_limit_pos_ : wf.pos,
              "'time_limit' " + fmt_num(*wf.time_limit) + " is shorter than the longest chain of promised limits, " +
                  path + ", which takes " + fmt_num(longest) + " working days",
              "raise 'time_limit', or shorten the 'days' of steps on that chain");
    }
  }

  // Windows: a package is one window for all its items.
  for (auto& s : wf.steps) {
    if (wf.is_package()) s.window = wf.window.empty() ? wf.id : wf.window;
    else if (s.window.empty()) s.window = wf.window.empty() ? s.lead : wf.window;
  }
}

}  // namespace

std::vector<std::string> calendar_search_path(const std::string& workflow_path, const LoadOptions& options) {
  return workflow_calendar_path(workflow_path, options.calendar_dirs);
}

std::vector<std::string> known_calendars(const std::string& workflow_path, const LoadOptions& options) {
  return calendar_ids(calendar_search_path(workflow_path, options));
}

LoadResult load_workflow_string(const std::string& text, const std::string& name, const LoadOptions& options) {
  LoadResult r;
  Loader l(options, r.diagnostics);
  std::vector<std::string> stack;
  std::error_code ec;
  fs::path canon = fs::weakly_canonical(fs::path(name), ec);
  stack.push_back(ec ? name : canon.string());
  std::optional<Workflow> wf;
  try {
    wf = l.load(name, text, stack);
    if (wf) l.finalize(*wf);
  } catch (const std::exception& e) {
    // A bug in the loader, not in the file: still a value, never an exception.
    wf.reset();
    r.diagnostics.push_back({Severity::error, SourcePos{name, 0, 0},
                             std::string("internal error while loading the file: ") + e.what(),
                             "please report this with the file attached"});
  }
  sort_diagnostics(r.diagnostics);
  if (wf && !has_errors(r.diagnostics)) r.workflow = std::move(wf);
  return r;
}

LoadResult load_workflow_file(const std::string& path, const LoadOptions& options) {
  std::string text, why;
  if (!read_file(options, path, text, why)) {
    LoadResult r;
    Diagnostic d;
    d.pos.file = path;
    d.message = "cannot read the file: " + why;
    r.diagnostics.push_back(std::move(d));
    return r;
  }
  return load_workflow_string(text, path, options);
}

}  // namespace jointreview
