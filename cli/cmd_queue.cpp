// jreview queue DEPARTMENT: a department's worklist (Engine::worklist), in
// priority order: green-channel projects (绿色通道) first, then overdue
// items, then by deadline and by arrival.
#include <iostream>
#include <memory>

#include "commands.h"
#include "jointreview/engine.h"
#include "jointreview/error.h"
#include "jointreview/text.h"
#include "runtime_options.h"

namespace jreview {

namespace {

struct QueueOpts {
  EngineFlags e;
  std::string department, format = "table";
};

void add_queue(CLI::App& app, Runner& run) {
  auto o = std::make_shared<QueueOpts>();
  auto* sub = app.add_subcommand("queue", "A department's worklist in priority order (green channel first)");
  sub->add_option("department", o->department, "department name")->required();
  sub->add_option("--format", o->format, "table or json")->check(CLI::IsMember({"table", "json"}));
  add_engine_flags(sub, o->e);
  add_read_only_flag(sub, o->e);
  with_engine(sub, run, o, [](jointreview::Engine& engine, const auto& o) {
    const jointreview::Worklist w = engine.worklist(o.department);
    if (!w.known && engine.stats().instances > 0) {
      std::cerr << "jreview: note: no instance has a step handled by '" << o.department << "'\n";
    }
    if (o.format == "json") {
      std::cout << jointreview::worklist_json(w, 2) << "\n";
      return 0;
    }
    std::vector<std::vector<std::string>> rows;
    int n = 0;
    bool provisional = false;
    for (const auto& i : w.items) {
      rows.push_back({std::to_string(++n), i.green ? "green" : "", i.statutory_overdue ? "RED 违法超期" : i.overdue ? "RED" : i.warned ? "yellow" : "",
                      i.instance, i.project, i.name, jointreview::describe(i.task),
                      dated(i.deadline, i.deadline_provisional), i.since.substr(0, 16), i.claimed_by});
      provisional = provisional || i.deadline_provisional;
    }
    std::cout << o.department << ": " << w.items.size() << " item(s)\n";
    if (!rows.empty())
      std::cout << jointreview::render_table(
          {"#", "channel", "flag", "instance", "project", "step", "task", "deadline", "since", "claimed by"}, rows,
          {true, false, false, false, false, false, false, false, false, false});
    if (provisional) std::cout << kProvisionalNote;
    return 0;
  });
}

}  // namespace

JREVIEW_COMMAND(55, add_queue);

}  // namespace jreview
