// YAML syntax errors explained (syntax.h), and Loader::syntax_error, which
// turns yaml-cpp's parser exceptions into diagnostics that say what to do.
#include "loader/syntax.h"

#include <cstdio>
#include <cstring>

#include "loader/loader_impl.h"

namespace jointreview::loader {

// A light scan of YAML text for flow brackets and quotes. yaml-cpp notices an
// unclosed '[' or quote only where the text ends or the next key starts; this
// scan finds where it was opened, so that the message can point there. It is
// used only to explain an error yaml-cpp already found.

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
// The positions come from the parser's events (scan_nodes), so that each
// scalar is looked at once however often aliases repeat it.
std::optional<YAML::Mark> unterminated_quote(const std::vector<YAML::Mark>& quoted, const std::string& t) {
  for (const YAML::Mark& m : quoted) {
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
  if (msg.rfind(YAML::ErrorMsg::INVALID_UNICODE, 0) == 0) {
    // yaml-cpp gives the code point in decimal.
    const std::string digits = msg.substr(std::strlen(YAML::ErrorMsg::INVALID_UNICODE));
    char u[24] = "?";
    if (!digits.empty() && digits.find_first_not_of("0123456789") == std::string::npos && digits.size() < 12)
      std::snprintf(u, sizeof u, "U+%04llX", std::stoull(digits));
    c.error(src.at(e.mark), std::string("YAML syntax error: the escape of ") + u + " in this text is no character",
            "\\uD800 to \\uDFFF are halves of surrogate pairs and nothing is past \\U0010FFFF; write the "
            "character itself");
    return;
  }
  if (msg.rfind(YAML::ErrorMsg::INVALID_ESCAPE, 0) == 0) {
    c.error(src.at(e.mark),
            "YAML syntax error: unknown escape '\\" + msg.substr(std::strlen(YAML::ErrorMsg::INVALID_ESCAPE)) +
                "' in a double-quoted text",
            "write \\\\ for a backslash, or put the text in single quotes, where \\ is an ordinary character");
    return;
  }
  std::string text = msg;
  if (text == "bad file") text = "the YAML cannot be read (nesting too deep or broken structure)";
  c.error(src.at(e.mark), "YAML syntax error: " + text, generic_hint);
}

}  // namespace jointreview::loader
