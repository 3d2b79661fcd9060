// What the loader says about YAML syntax errors: yaml-cpp notices an
// unclosed bracket or quote, or a bad indentation, only where it can no
// longer go on; these scans find where the problem was made, so that the
// message points there (Loader::syntax_error, syntax.cpp).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <yaml-cpp/yaml.h>

namespace jointreview::loader {

// A light scan of YAML text for flow brackets and quotes, up to `stop`.
struct FlowScan {
  std::vector<std::size_t> open;                       // unclosed '[' / '{' at the stop point
  std::size_t too_deep = std::string::npos;            // first bracket nested deeper than the limit
  std::size_t open_quote = std::string::npos;          // a quote never closed
};
FlowScan scan_flow(const std::string& t, std::size_t stop, std::size_t limit);

// The first quoted scalar whose closing quote is missing; `quoted` holds the
// position of every quoted scalar of the document, each once (NodeScan).
std::optional<YAML::Mark> unterminated_quote(const std::vector<YAML::Mark>& quoted, const std::string& t);

// Indentation (in spaces) of line `line0`, and of the closest non-blank,
// non-comment line before it; -1 when there is none.
std::pair<int, int> indents(const std::string& t, int line0);

// "1 space", "4 spaces".
std::string spaces(int n);

}  // namespace jointreview::loader
