// The loader's parts (loader.cpp is its public face): one class, Loader,
// whose members are defined in the order a file goes through them:
//   document.cpp  the text read, parsed into the model, includes merged;
//   syntax.cpp    YAML syntax errors explained;
//   checks.cpp    the checks that need the whole workflow (finalize).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "jointreview/loader.h"
#include "loader/readers.h"

namespace jointreview::loader {

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

// Reads a workflow file through LoadOptions::read_file, or from disk.
bool read_file(const LoadOptions& opt, const std::string& path, std::string& out, std::string& why);

}  // namespace jointreview::loader
