// jreview deploy FILE / jreview workflows: workflow versions kept in the
// database (Engine::deploy), started by id with `jreview start ID[@HASH]`.
#include <iostream>
#include <memory>

#include "commands.h"
#include "jointreview/engine.h"
#include "jointreview/error.h"
#include "jointreview/text.h"
#include "runtime_options.h"

namespace jreview {

namespace {

struct DeployOpts {
  EngineFlags e;
  std::string file, format = "text";
};

void add_deploy(CLI::App& app, Runner& run) {
  auto o = std::make_shared<DeployOpts>();
  auto* sub = app.add_subcommand("deploy",
                                 "Store a workflow (its texts and calendar) in the database as the next version of "
                                 "its id, to start by id: jreview start ID[@HASH]");
  sub->add_option("file", o->file, "workflow file")->required();
  sub->add_option("--format", o->format, "text or json")->check(CLI::IsMember({"text", "json"}));
  add_engine_flags(sub, o->e);
  with_engine(sub, run, o, [](jointreview::Engine& engine, const auto& o) {
    const jointreview::DeployedWorkflow d = engine.deploy(o.file);
    if (o.format == "json") {
      std::cout << jointreview::deployed_json(d) << "\n";
      return 0;
    }
    if (d.existed)
      std::cout << d.id << " v" << d.version << " (" << d.hash << ") is deployed already with these texts; nothing "
                << "stored\n";
    else
      std::cout << "deployed " << d.id << " v" << d.version << " (" << d.hash << "): start it with jreview start "
                << d.id << " --project NAME\n";
    return 0;
  });
}

struct WorkflowsOpts {
  EngineFlags e;
  std::string format = "table";
};

void add_workflows(CLI::App& app, Runner& run) {
  auto o = std::make_shared<WorkflowsOpts>();
  auto* sub = app.add_subcommand("workflows", "The workflow versions deployed in the database");
  sub->add_option("--format", o->format, "table or json")->check(CLI::IsMember({"table", "json"}));
  add_engine_flags(sub, o->e);
  add_read_only_flag(sub, o->e);
  with_engine(sub, run, o, [](jointreview::Engine& engine, const auto& o) {
    const auto all = engine.workflows();
    if (o.format == "json") {
      std::cout << jointreview::deployed_list_json(all) << "\n";
      return 0;
    }
    std::vector<std::vector<std::string>> rows;
    for (const auto& w : all)
      rows.push_back({w.id, "v" + std::to_string(w.version) + (w.latest ? " (latest)" : ""), w.hash, w.title,
                      w.deployed.substr(0, 16), std::to_string(w.running)});
    std::cout << jointreview::render_table({"id", "version", "hash", "title", "deployed", "running"}, rows,
                                           {false, false, false, false, false, true});
    if (all.empty()) std::cout << "(none deployed: jreview deploy FILE)\n";
    return 0;
  });
}

}  // namespace

JREVIEW_COMMAND(58, add_deploy);
JREVIEW_COMMAND(59, add_workflows);

}  // namespace jreview
