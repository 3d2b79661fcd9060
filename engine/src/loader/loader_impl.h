// The loader's parts (loader.cpp is its public face): one class, Loader,
// whose members are defined in the order a file goes through them:
//   document.cpp  the text read, parsed into the model, includes merged;
//   scan.cpp      the limits checked on the parser's events, before the tree is built;
//   syntax.cpp    YAML syntax errors explained;
//   checks.cpp    the checks that need the whole workflow (finalize).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "jointreview/loader.h"
#include "loader/readers.h"

namespace jointreview::loader {

// The limits of one load, the workflow file and every file it includes
// (docs/workflow-language.md, "Limits"); one file's size: text::kMaxFileBytes.
inline constexpr std::size_t kMaxTotalBytes = std::size_t{64} << 20;  // all files together
inline constexpr std::size_t kMaxIncludedFiles = 256;                 // distinct files, besides the workflow
inline constexpr std::size_t kMaxIncludeDepth = 16;
inline constexpr std::uint64_t kMaxNodes = 1000000;  // YAML nodes, aliases expanded, all files together
inline constexpr std::size_t kMaxSteps = 10000;      // steps of the workflow, its items' included

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
  bool check_nodes(Ctx& c, const std::string& body, std::vector<YAML::Mark>& quoted);
  void syntax_error(Ctx& c, const YAML::ParserException& e);
  void parse_step(Ctx& c, const YAML::Node& n, Step& s, bool& ok);
  void include(Ctx& c, Workflow& wf, const std::string& rel, const SourcePos& at, std::vector<std::string>& stack);
  void merge_include(Ctx& c, Workflow& pkg, const Workflow& item, const SourcePos& at);
  bool room_for_step(Ctx& c, const Workflow& wf, const SourcePos& at);

  const LoadOptions& opt_;
  std::vector<Diagnostic>& diags_;
  std::size_t files_loaded_ = 0;
  std::size_t bytes_loaded_ = 0;
  std::uint64_t nodes_loaded_ = 0;
  bool steps_capped_ = false;  // the step limit was reported
  std::string root_;          // the workflow file's folder, canonical: includes stay inside it
  std::string root_shown_;    // the same as the user gave it, for messages
  // Every included file loaded, by canonical path: each is loaded once
  // however many items include it (nullopt: it did not load).
  std::map<std::string, std::optional<Workflow>> included_;
  SourcePos time_limit_pos_;  // of the file being validated (not of its includes)
};

// Reads a workflow file through LoadOptions::read_file, or from disk.
bool read_file(const LoadOptions& opt, const std::string& path, std::string& out, std::string& why);

}  // namespace jointreview::loader
