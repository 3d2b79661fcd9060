#include "jointreview/workflow.h"

#include <algorithm>
#include <tuple>

#include "jointreview/diagnostic.h"

namespace jointreview {

double Distribution::expected() const {
  switch (kind) {
    case Kind::fixed: return value;
    case Kind::exponential: return mean;
    case Kind::triangular: return (min + mode + max) / 3.0;
    case Kind::pert: return (min + 4.0 * mode + max) / 6.0;
    case Kind::uniform: return (min + max) / 2.0;
    case Kind::lognormal: return mean;
  }
  return value;
}

const char* to_string(Distribution::Kind k) {
  switch (k) {
    case Distribution::Kind::fixed: return "fixed";
    case Distribution::Kind::exponential: return "exponential";
    case Distribution::Kind::triangular: return "triangular";
    case Distribution::Kind::pert: return "pert";
    case Distribution::Kind::uniform: return "uniform";
    case Distribution::Kind::lognormal: return "lognormal";
  }
  return "fixed";
}

long Workflow::find_step(const std::string& sid) const {
  for (std::size_t i = 0; i < steps.size(); ++i)
    if (steps[i].id == sid) return static_cast<long>(i);
  return -1;
}

long Workflow::find_department(const std::string& name) const {
  for (std::size_t i = 0; i < departments.size(); ++i)
    if (departments[i].name == name) return static_cast<long>(i);
  return -1;
}

std::string Diagnostic::str() const {
  std::string out = pos.file.empty() ? std::string("<input>") : pos.file;
  if (pos.line > 0) {
    out += ":" + std::to_string(pos.line);
    if (pos.column > 0) out += ":" + std::to_string(pos.column);
  }
  out += severity == Severity::error ? ": error: " : ": warning: ";
  out += message;
  if (!hint.empty()) out += "; " + hint;
  return out;
}

void sort_diagnostics(std::vector<Diagnostic>& diags) {
  std::stable_sort(diags.begin(), diags.end(), [](const Diagnostic& a, const Diagnostic& b) {
    return std::tie(a.pos.file, a.pos.line, a.pos.column) <
           std::tie(b.pos.file, b.pos.line, b.pos.column);
  });
}

bool has_errors(const std::vector<Diagnostic>& diags) {
  return std::any_of(diags.begin(), diags.end(),
                     [](const Diagnostic& d) { return d.severity == Diagnostic::Severity::error; });
}

}  // namespace jointreview
