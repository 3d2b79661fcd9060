// jreview validate FILE...   and   jreview schema
#include <iostream>
#include <memory>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "jointreview/loader.h"

namespace jreview {

namespace {
struct ValidateOptions {
  std::vector<std::string> files;
  bool no_warnings = false;
  bool werror = false;
  bool allow_includes_outside = false;
  std::string format = "text";
};
}  // namespace

namespace {
void add_validate(CLI::App& app, Runner& run) {
  auto o = std::make_shared<ValidateOptions>();
  auto* sub = app.add_subcommand("validate", "Check workflow files; report every problem as FILE:LINE:COLUMN");
  sub->add_option("files", o->files, "workflow files")->required();
  sub->add_flag("--no-warnings", o->no_warnings, "report errors only");
  sub->add_flag("--werror", o->werror, "treat warnings as errors (exit 1)");
  sub->add_flag("--allow-includes-outside", o->allow_includes_outside,
                "let includes read files outside the workflow file's folder (absolute paths, '..')");
  sub->add_option("--format", o->format, "text (stderr, compiler style) or json (stdout)")
      ->check(CLI::IsMember({"text", "json"}));
  sub->callback([o, &run] {
    run = [o] {
      bool failed = false;
      nlohmann::ordered_json out = nlohmann::ordered_json::array();
      for (const auto& f : o->files) {
        jointreview::LoadOptions lo;
        lo.warnings = !o->no_warnings;
        lo.allow_includes_outside = o->allow_includes_outside;
        auto r = jointreview::load_workflow_file(f, lo);
        bool warned = false;
        nlohmann::ordered_json diags = nlohmann::ordered_json::array();
        for (const auto& d : r.diagnostics) {
          warned |= d.severity == jointreview::Diagnostic::Severity::warning;
          if (o->format == "json") {
            diags.push_back({{"file", d.pos.file},
                             {"line", d.pos.line},
                             {"column", d.pos.column},
                             {"severity", d.severity == jointreview::Diagnostic::Severity::error ? "error" : "warning"},
                             {"message", d.message},
                             {"hint", d.hint}});
          } else {
            std::cerr << d.str() << "\n";
          }
        }
        bool bad = !r.ok() || (o->werror && warned);
        failed |= bad;
        if (o->format == "json") {
          nlohmann::ordered_json entry = {{"file", f}, {"valid", !bad}};
          if (r.ok()) {
            entry["workflow"] = r.workflow->id;
            entry["steps"] = r.workflow->steps.size();
          }
          entry["diagnostics"] = diags;
          out.push_back(entry);
        } else if (r.ok()) {
          const std::size_t n = r.workflow->steps.size();
          std::cerr << f << ": ok: workflow '" << r.workflow->id << "', " << n << (n == 1 ? " step\n" : " steps\n");
        }
      }
      if (o->format == "json") std::cout << out.dump(2) << "\n";
      return failed ? 1 : 0;
    };
  });
}

void add_schema(CLI::App& app, Runner& run) {
  auto* sub = app.add_subcommand("schema", "Print the JSON Schema of the workflow language");
  sub->callback([&run] {
    run = [] {
      std::cout << jointreview::workflow_schema_json();
      return 0;
    };
  });
}

}  // namespace

JREVIEW_COMMAND(10, add_validate);
JREVIEW_COMMAND(90, add_schema);

}  // namespace jreview
