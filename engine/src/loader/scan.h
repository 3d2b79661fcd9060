// One pass over the YAML parser's events, before the document is built into
// nodes: the limits of a load are checked on it (nodes counted with their
// aliases expanded, steps), and it collects what later checks need. Every
// node of the text is seen once: an alias is counted with the size of the
// node it names, never walked into, so that an alias bomb (aliases of
// aliases, x9 per level) costs its length in the text, not its expansion.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <yaml-cpp/mark.h>

namespace jointreview::loader {

struct NodeScan {
  enum class Stop {
    none,            // the whole document was scanned
    nodes,           // more than `max_nodes` nodes with the aliases expanded
    steps,           // more than `max_steps` items in the top-level `steps:`
    recursive_alias  // an alias names a node that contains it
  };
  Stop stop = Stop::none;
  YAML::Mark stop_at;             // where the scan stopped (the alias, the step)
  std::uint64_t nodes = 0;        // nodes counted, aliases expanded (up to the stop)
  std::size_t steps = 0;          // items of the top-level `steps:` list (up to the stop)
  std::vector<YAML::Mark> quoted; // every quoted scalar, in document order
  // Scalars whose value, escapes decoded, is not valid UTF-8 or holds a
  // control character, and the offending byte's offset in the value.
  struct BadText {
    YAML::Mark at;
    std::string value;
    std::size_t offset = 0;
    bool utf8 = false;  // true: invalid UTF-8; false: a control character
  };
  std::vector<BadText> bad_texts;
};

// Scans the first document of `text`. `nodes_before` counts against
// `max_nodes` (the files already loaded). Throws what yaml-cpp's parser
// throws for a syntax error; YAML::Load then reports it as before.
NodeScan scan_nodes(const std::string& text, std::uint64_t nodes_before, std::uint64_t max_nodes,
                    std::size_t max_steps);

// The offset of the first control character of `s` (C0 but tab, line feed
// and carriage return; DEL; C1), or npos. `s` must be valid UTF-8.
std::size_t find_control_char(const std::string& s);

}  // namespace jointreview::loader
