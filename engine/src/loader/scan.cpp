// The event scan of a workflow file (scan.h).
#include "loader/scan.h"

#include <sstream>
#include <unordered_map>

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/parser.h>

#include "util/text_util.h"

namespace jointreview::loader {

std::size_t find_control_char(const std::string& s) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7F) return i;
    // U+0080..U+009F (C1) are C2 80..C2 9F in UTF-8.
    if (c == 0xC2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) <= 0x9F) return i;
  }
  return std::string::npos;
}

namespace {

struct Stopped {};

constexpr std::uint64_t kOpen = UINT64_MAX;  // an anchored node not yet ended
constexpr std::size_t kMaxBadTexts = 20;

class Counter : public YAML::EventHandler {
 public:
  Counter(NodeScan& out, std::uint64_t before, std::uint64_t max_nodes, std::size_t max_steps)
      : out_(out), before_(before), max_nodes_(max_nodes), max_steps_(max_steps) {}

  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}

  void OnNull(const YAML::Mark& m, YAML::anchor_t anchor) override {
    child(m, nullptr, false);
    add(1, m);
    if (anchor != YAML::NullAnchor) size_[anchor] = 1;
  }

  void OnAlias(const YAML::Mark& m, YAML::anchor_t anchor) override {
    child(m, nullptr, false);
    auto it = size_.find(anchor);
    if (it == size_.end() || it->second == kOpen) stop(NodeScan::Stop::recursive_alias, m);
    add(it->second, m);
  }

  void OnScalar(const YAML::Mark& m, const std::string& tag, YAML::anchor_t anchor,
                const std::string& value) override {
    child(m, &value, false);
    if (tag == "!") out_.quoted.push_back(m);
    check_text(m, value);
    add(1, m);
    if (anchor != YAML::NullAnchor) size_[anchor] = 1;
  }

  void OnSequenceStart(const YAML::Mark& m, const std::string&, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    const bool steps = child(m, nullptr, true);
    open(m, anchor, false, steps);
  }
  void OnSequenceEnd() override { close(); }

  void OnMapStart(const YAML::Mark& m, const std::string&, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    child(m, nullptr, false);
    open(m, anchor, true, false);
  }
  void OnMapEnd() override { close(); }

 private:
  struct Frame {
    YAML::anchor_t anchor;
    std::uint64_t start;  // nodes counted before this one
    bool map;
    bool steps;           // the top-level `steps:` list
    bool expect_key = true;
    std::string key;      // the key whose value comes next (a map's)
  };

  // A node begins inside the innermost open collection; true when it is
  // the value of the top-level key `steps` and a sequence.
  bool child(const YAML::Mark& m, const std::string* scalar, bool sequence) {
    if (stack_.empty()) return false;
    Frame& f = stack_.back();
    if (f.map) {
      if (f.expect_key) {
        f.key = scalar ? *scalar : std::string();
        f.expect_key = false;
        return false;
      }
      f.expect_key = true;
      return sequence && stack_.size() == 1 && f.key == "steps";
    }
    if (f.steps && ++out_.steps > max_steps_) stop(NodeScan::Stop::steps, m);
    return false;
  }

  void open(const YAML::Mark& m, YAML::anchor_t anchor, bool map, bool steps) {
    stack_.push_back({anchor, out_.nodes, map, steps});
    if (anchor != YAML::NullAnchor) size_[anchor] = kOpen;
    add(1, m);
  }

  void close() {
    if (stack_.empty()) return;
    const Frame f = std::move(stack_.back());
    stack_.pop_back();
    if (f.anchor != YAML::NullAnchor) size_[f.anchor] = out_.nodes - f.start;
  }

  void add(std::uint64_t n, const YAML::Mark& m) {
    out_.nodes = n > UINT64_MAX / 2 - out_.nodes ? UINT64_MAX / 2 : out_.nodes + n;
    if (before_ + out_.nodes > max_nodes_) stop(NodeScan::Stop::nodes, m);
  }

  void check_text(const YAML::Mark& m, const std::string& value) {
    if (out_.bad_texts.size() >= kMaxBadTexts) return;
    if (std::size_t bad = text::find_invalid_utf8(value); bad != std::string::npos)
      out_.bad_texts.push_back({m, value, bad, true});
    else if (std::size_t ctl = find_control_char(value); ctl != std::string::npos)
      out_.bad_texts.push_back({m, value, ctl, false});
  }

  [[noreturn]] void stop(NodeScan::Stop why, const YAML::Mark& m) {
    out_.stop = why;
    out_.stop_at = m;
    throw Stopped{};
  }

  NodeScan& out_;
  const std::uint64_t before_, max_nodes_;
  const std::size_t max_steps_;
  std::vector<Frame> stack_;
  std::unordered_map<YAML::anchor_t, std::uint64_t> size_;  // nodes of each anchored node, expanded
};

}  // namespace

NodeScan scan_nodes(const std::string& text, std::uint64_t nodes_before, std::uint64_t max_nodes,
                    std::size_t max_steps) {
  NodeScan out;
  std::istringstream in(text);
  YAML::Parser parser(in);
  Counter counter(out, nodes_before, max_nodes, max_steps);
  try {
    parser.HandleNextDocument(counter);
  } catch (const Stopped&) {
  }
  return out;
}

}  // namespace jointreview::loader
