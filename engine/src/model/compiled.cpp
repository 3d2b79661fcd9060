#include "model/compiled.h"

#include <unordered_map>

#include "model/csr.h"
#include "model/dep_graph.h"
#include "jointreview/error.h"

namespace jointreview {

std::shared_ptr<const CompiledWorkflow> compile(std::shared_ptr<const Workflow> wf) {
  auto c = std::make_shared<CompiledWorkflow>();
  const Workflow& w = *wf;
  c->source = wf;
  const std::size_t n = w.steps.size();
  c->n_steps = static_cast<std::uint32_t>(n);
  c->n_departments = static_cast<std::uint32_t>(w.departments.size());

  if (!graph::find_cycles(n, w.dependencies, 1).empty())
    throw Error(Error::Code::invalid_workflow, "workflow '" + w.id + "' has a dependency cycle");

  std::vector<std::uint32_t> from, to;
  for (const auto& d : w.dependencies) {
    from.push_back(static_cast<std::uint32_t>(d.from));
    to.push_back(static_cast<std::uint32_t>(d.to));
  }
  CsrGraph succ = build_csr(n, from, to), pred = build_csr(n, to, from);
  c->succ_offset = std::move(succ.offsets);
  c->succ = std::move(succ.targets);
  c->pred_offset = std::move(pred.offsets);
  c->pred = std::move(pred.targets);

  std::unordered_map<std::string, std::uint32_t> dept_index, material_index;
  for (std::size_t i = 0; i < w.departments.size(); ++i) {
    dept_index.emplace(w.departments[i].name, static_cast<std::uint32_t>(i));
    c->dept_capacity.push_back(static_cast<std::uint32_t>(w.departments[i].capacity));
  }
  auto intern = [&](const std::string& m) {
    auto [it, inserted] = material_index.emplace(m, static_cast<std::uint32_t>(c->materials.size()));
    if (inserted) c->materials.push_back(m);
    return it->second;
  };

  c->dept_offset.push_back(0);
  c->deferred_offset.push_back(0);
  c->excluded_offset.push_back(0);
  for (const Step& s : w.steps) {
    if (s.departments.size() > kMaxDepartmentsPerStep)
      throw Error(Error::Code::invalid_workflow, "step '" + s.id + "' has more than 32 departments");
    if (s.deferred.size() > kMaxDeferredPerStep)
      throw Error(Error::Code::invalid_workflow, "step '" + s.id + "' has more than 32 deferred materials");
    if (s.departments.empty())
      throw Error(Error::Code::invalid_workflow, "step '" + s.id + "' has no department");
    // Lead first, then the others in declared order.
    std::string lead = s.lead.empty() ? s.departments.front() : s.lead;
    auto di = dept_index.find(lead);
    if (di == dept_index.end())
      throw Error(Error::Code::invalid_workflow, "step '" + s.id + "' names undeclared department '" + lead + "'");
    c->dept.push_back(di->second);
    for (const auto& d : s.departments) {
      if (d == lead) continue;
      auto it = dept_index.find(d);
      if (it == dept_index.end())
        throw Error(Error::Code::invalid_workflow, "step '" + s.id + "' names undeclared department '" + d + "'");
      c->dept.push_back(it->second);
    }
    c->dept_offset.push_back(static_cast<std::uint32_t>(c->dept.size()));

    c->days.push_back(s.days);
    c->statutory_days.push_back(s.statutory_days ? *s.statutory_days : -1.0);
    c->duration.push_back(s.effective_duration());
    c->prepare.push_back(s.effective_prepare());
    c->issue_before_deferred.push_back(s.issues_before_deferred() ? 1 : 0);
    c->correction_probability.push_back(s.correction.probability);
    c->correction_turnaround.push_back(s.correction.turnaround);
    c->max_rounds.push_back(static_cast<std::uint8_t>(std::min(s.correction.max_rounds, 255)));
    c->has_commitment.push_back(s.commitment.enabled ? 1 : 0);
    c->verify_after.push_back(s.commitment.verify_after);
    c->verify_fail_probability.push_back(s.commitment.fail_probability);
    c->rectify_within.push_back(s.commitment.rectify_within);
    c->rectify_probability.push_back(s.commitment.rectify_probability);
    for (const auto& dm : s.deferred)
      c->deferred.push_back({intern(dm.material), dm.within, dm.grace, dm.late_probability});
    c->deferred_offset.push_back(static_cast<std::uint32_t>(c->deferred.size()));
    for (const auto& x : s.excluded) c->excluded.push_back({x.days, x.days.expected()});
    c->excluded_offset.push_back(static_cast<std::uint32_t>(c->excluded.size()));
  }
  c->warn_before = w.warn_before;
  c->contact_within = w.contact_within;
  c->time_limit = w.time_limit ? *w.time_limit : -1.0;
  c->green = w.priority == "green";
  return c;
}

}  // namespace jointreview
