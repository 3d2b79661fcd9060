// jreview list: the instances a filter selects, a page at a time
// (Engine::query), from the database's indexed tables.
#include <iostream>
#include <memory>

#include "commands.h"
#include "jointreview/engine.h"
#include "jointreview/error.h"
#include "jointreview/text.h"
#include "runtime_options.h"

namespace jreview {

namespace {

struct ListOpts {
  EngineFlags e;
  jointreview::InstanceFilter f;
  std::string green, format = "table";
};

void add_list(CLI::App& app, Runner& run) {
  auto o = std::make_shared<ListOpts>();
  auto* sub = app.add_subcommand("list", "The instances a filter selects, a page at a time (by start or deadline)");
  sub->add_option("--state", o->f.state, "running, completed, rejected, withdrawn or revoked");
  sub->add_option("--workflow", o->f.workflow, "a workflow id");
  sub->add_option("--project", o->f.project, "a part of the project's name");
  sub->add_option("--applicant", o->f.applicant, "the applicant's name");
  sub->add_option("--department", o->f.department, "a department with work to do on the instance");
  sub->add_option("--flag", o->f.flag,
                  "overdue, warned, statutory_overdue, repeat_notice, verification_overdue, verification_pending, "
                  "contact_overdue, material_overdue, review_required, rectifying, clock_stopped, extended, claimed, "
                  "waiting_on_applicant");
  sub->add_option("--green", o->green, "yes: the green channel only; no: none of it")
      ->check(CLI::IsMember({"yes", "no"}));
  sub->add_option("--started-from", o->f.started_from, "started on or after this date (YYYY-MM-DD)");
  sub->add_option("--started-to", o->f.started_to, "started on or before this date");
  sub->add_option("--finished-from", o->f.finished_from, "finished on or after this date");
  sub->add_option("--finished-to", o->f.finished_to, "finished on or before this date");
  sub->add_option("--order", o->f.order, "started (default) or deadline")->check(CLI::IsMember({"started", "deadline"}));
  sub->add_option("--limit", o->f.limit, "instances a page (default 50, at most 1000)")->check(CLI::Range(1, 1000));
  sub->add_option("--after", o->f.after, "the cursor printed as 'next' by the previous page");
  sub->add_option("--format", o->format, "table or json")->check(CLI::IsMember({"table", "json"}));
  add_engine_flags(sub, o->e);
  add_read_only_flag(sub, o->e);
  with_engine(sub, run, o, [](jointreview::Engine& engine, const auto& o) {
    jointreview::InstanceFilter f = o.f;
    f.green = o.green.empty() ? -1 : o.green == "yes" ? 1 : 0;
    const jointreview::InstancePage page = engine.query(f);
    if (o.format == "json") {
      std::cout << jointreview::instance_page_json(page) << "\n";
      return 0;
    }
    std::vector<std::vector<std::string>> rows;
    for (const auto& s : page.instances) {
      std::string flags;
      for (const auto& x : s.flags) flags += (flags.empty() ? "" : " ") + x;
      if (s.green) flags = "green-channel" + std::string(flags.empty() ? "" : " ") + flags;
      rows.push_back({s.instance, s.project, s.workflow, s.state,
                      std::to_string(s.approved) + "/" + std::to_string(s.total), s.deadline, flags});
    }
    std::cout << jointreview::render_table({"instance", "project", "workflow", "state", "approved", "deadline", "flags"},
                                           rows, {false, false, false, false, true, false, false});
    std::cout << page.instances.size() << " of " << page.total << " matching";
    if (!page.next.empty()) std::cout << "; next page: --after " << page.next;
    std::cout << "\n";
    return 0;
  });
}

}  // namespace

JREVIEW_COMMAND(49, add_list);

}  // namespace jreview
