// jreview queue DEPARTMENT: a department's worklist, in priority order:
// green-channel projects (绿色通道) first, then overdue items, then by
// deadline and by arrival.
#include <algorithm>
#include <iostream>
#include <memory>
#include <tuple>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "jointreview/engine.h"
#include "jointreview/error.h"
#include "jointreview/text.h"
#include "runtime_options.h"

namespace jreview {

namespace {

struct Item {
  std::string instance, project, step, name, task, state, deadline, since;
  bool green = false, overdue = false, warned = false;
};

std::vector<Item> worklist(jointreview::Engine& engine, const std::string& dept, bool& known) {
  std::vector<Item> items;
  const std::string today = engine.today();
  for (const auto& s : engine.instances()) {
    for (const auto& st : s.steps) {
      if (std::find(st.departments.begin(), st.departments.end(), dept) == st.departments.end()) continue;
      known = true;
      const bool lead = st.departments.front() == dept;
      auto add = [&](const std::string& task, const std::string& deadline) {
        items.push_back({s.instance, s.project, st.id, st.name, task, st.state, deadline, st.since, s.green,
                         st.overdue, st.warned});
      };
      if (s.state == "running") {
        if (st.state == "submitted" && lead) add("accept, or return with one notice (一次性告知)", "");
        if ((st.state == "accepted" || st.state == "suspended") &&
            std::find(st.reviews_pending.begin(), st.reviews_pending.end(), dept) != st.reviews_pending.end())
          add(st.state == "suspended" ? "review (suspended: materials missing)" : "review", st.deadline);
      }
      if (lead && st.contact_pending) add("contact the applicant (首退必联)", "");
      if (lead && st.verification_pending && st.verification_due <= today)
        add("verify the commitment (告知承诺)", st.verification_due);
    }
  }
  std::stable_sort(items.begin(), items.end(), [](const Item& a, const Item& b) {
    auto key = [](const Item& i) {
      return std::make_tuple(!i.green, !i.overdue, i.deadline.empty(), i.deadline, i.since);
    };
    return key(a) < key(b);
  });
  return items;
}

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
  with_engine(sub, run, o, [](jointreview::Engine& engine, const auto& o) {
    bool known = false;
    auto items = worklist(engine, o.department, known);
    if (!known && !engine.instances().empty()) {
      std::cerr << "jreview: note: no instance has a step handled by '" << o.department << "'\n";
    }
    if (o.format == "json") {
      nlohmann::ordered_json a = nlohmann::ordered_json::array();
      for (const auto& i : items)
        a.push_back({{"instance", i.instance}, {"project", i.project}, {"step", i.step}, {"name", i.name},
                     {"task", i.task}, {"state", i.state}, {"deadline", i.deadline}, {"since", i.since},
                     {"green", i.green}, {"overdue", i.overdue}, {"warned", i.warned}});
      std::cout << a.dump(2) << "\n";
      return 0;
    }
    std::vector<std::vector<std::string>> rows;
    int n = 0;
    for (const auto& i : items)
      rows.push_back({std::to_string(++n), i.green ? "green" : "", i.overdue ? "RED" : i.warned ? "yellow" : "",
                      i.instance, i.project, i.name, i.task, i.deadline, i.since.substr(0, 16)});
    std::cout << o.department << ": " << items.size() << " item(s)\n";
    if (!rows.empty())
      std::cout << jointreview::render_table(
          {"#", "channel", "flag", "instance", "project", "step", "task", "deadline", "since"}, rows,
          {true, false, false, false, false, false, false, false, false});
    return 0;
  });
}

}  // namespace

JREVIEW_COMMAND(55, add_queue);

}  // namespace jreview
