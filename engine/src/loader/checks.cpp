// The checks that need the whole workflow (Loader::finalize): references
// between steps, materials and departments, cycles, redundant `after`
// edges, time limits against the longest chain, windows.
#include "loader/loader_impl.h"

#include <algorithm>
#include <unordered_map>

#include "model/dep_graph.h"

namespace jointreview::loader {

std::string pos_short(const SourcePos& p, const std::string& here) {
  if (p.file == here) return "line " + std::to_string(p.line);
  return p.file + ":" + std::to_string(p.line);
}

void Loader::finalize(Workflow& wf) {
  auto error = [&](const SourcePos& p, std::string m, std::string h = {}) {
    diags_.push_back({Severity::error, p, std::move(m), std::move(h)});
  };
  auto warning = [&](const SourcePos& p, std::string m, std::string h = {}) {
    if (opt_.warnings) diags_.push_back({Severity::warning, p, std::move(m), std::move(h)});
  };
  const std::size_t n = wf.steps.size();
  std::unordered_map<std::string, std::size_t> index;
  std::vector<std::string> ids;
  for (std::size_t i = 0; i < n; ++i) {
    index.emplace(wf.steps[i].id, i);
    ids.push_back(wf.steps[i].id);
  }
  // Departments used by steps but not declared are implied, with no capacity limit.
  std::set<std::string> used;
  for (const auto& s : wf.steps)
    for (const auto& d : s.departments) {
      used.insert(d);
      if (wf.find_department(d) < 0) wf.departments.push_back({d, 0, s.pos});
    }
  for (const auto& d : wf.departments)
    if (!used.count(d.name) && d.pos.line > 0)
      warning(d.pos, "department '" + d.name + "' has no steps", "remove it, or assign it a step");

  // Producers of each document.
  std::unordered_map<std::string, std::size_t> producer;
  for (std::size_t i = 0; i < n; ++i) {
    const Step& s = wf.steps[i];
    for (std::size_t j = 0; j < s.produces.size(); ++j) {
      auto [it, inserted] = producer.emplace(s.produces[j], i);
      if (!inserted) {
        const Step& first = wf.steps[it->second];
        error(s.produces_pos[j], "document '" + s.produces[j] + "' is produced by both '" + first.id + "' and '" +
                                     s.id + "'",
              "give each document one issuing step, or name them differently");
      }
    }
  }
  // Dependencies.
  std::set<std::tuple<std::size_t, std::size_t, int>> seen;
  for (std::size_t i = 0; i < n; ++i) {
    Step& s = wf.steps[i];
    for (std::size_t j = 0; j < s.after.size(); ++j) {
      auto it = index.find(s.after[j]);
      if (it == index.end()) {
        std::string near = text::closest(s.after[j], ids);
        error(s.after_pos[j], "step '" + s.id + "' comes after unknown step '" + s.after[j] + "'",
              near.empty() ? "the step ids are " + text::quoted_list(ids) : "did you mean '" + near + "'?");
        continue;
      }
      if (it->second == i) {
        error(s.after_pos[j], "step '" + s.id + "' cannot come after itself", "remove it from 'after'");
        continue;
      }
      if (seen.emplace(it->second, i, 0).second)
        wf.dependencies.push_back({it->second, i, Dependency::Kind::after, {}, s.after_pos[j]});
    }
    for (std::size_t j = 0; j < s.needs.size(); ++j) {
      auto it = producer.find(s.needs[j]);
      if (it == producer.end()) {
        if (std::find(wf.applicant_materials.begin(), wf.applicant_materials.end(), s.needs[j]) ==
            wf.applicant_materials.end())
          wf.applicant_materials.push_back(s.needs[j]);
        continue;
      }
      if (it->second == i) {
        error(s.needs_pos[j], "step '" + s.id + "' needs '" + s.needs[j] + "', which it produces itself",
              "remove it from 'needs' or from 'produces'");
        continue;
      }
      if (seen.emplace(it->second, i, 1).second)
        wf.dependencies.push_back({it->second, i, Dependency::Kind::material, s.needs[j], s.needs_pos[j]});
    }
    for (const auto& dm : s.deferred) {
      if (producer.count(dm.material))
        warning(dm.pos, "deferred material '" + dm.material + "' is issued by step '" +
                            wf.steps[producer[dm.material]].id + "', so " + "'" + s.id +
                            "' still waits for that step to be approved",
                "容缺受理 lets the applicant's own materials arrive late; issued documents still order the steps");
    }
  }
  auto cycles = graph::find_cycles(n, wf.dependencies);
  for (const auto& cyc : cycles) {
    std::string path = wf.steps[wf.dependencies[cyc.front()].from].id;
    std::string how;
    for (std::size_t e : cyc) {
      const Dependency& d = wf.dependencies[e];
      path += " -> " + wf.steps[d.to].id;
      if (!how.empty()) how += ", ";
      if (d.kind == Dependency::Kind::after)
        how += "'" + wf.steps[d.to].id + "' is after '" + wf.steps[d.from].id + "' (" + pos_short(d.pos, wf.file) + ")";
      else
        how += "'" + wf.steps[d.to].id + "' needs '" + d.material + "' from '" + wf.steps[d.from].id + "' (" +
               pos_short(d.pos, wf.file) + ")";
    }
    error(wf.dependencies[cyc.back()].pos, "dependency cycle: " + path + ": " + how,
          "remove one of these dependencies");
  }
  if (!cycles.empty() || has_errors(diags_)) return;

  for (const auto& r : graph::redundant_after(n, wf.dependencies)) {
    const Dependency& d = wf.dependencies[r.dep];
    const Dependency& via = wf.dependencies[r.via];
    std::string why = r.direct_material
                          ? "it needs '" + via.material + "', which '" + wf.steps[d.from].id + "' produces"
                          : "it already waits for '" + wf.steps[d.from].id + "' through '" + wf.steps[via.to].id + "'";
    warning(d.pos, "'after: " + wf.steps[d.from].id + "' in step '" + wf.steps[d.to].id + "' is redundant: " + why,
            "remove it");
  }
  std::vector<char> has_successor(n, 0);
  for (const auto& d : wf.dependencies) has_successor[d.from] = 1;
  for (std::size_t i = 0; i < n; ++i)
    if (!has_successor[i] && wf.steps[i].produces.empty())
      warning(wf.steps[i].id_pos, "step '" + wf.steps[i].id + "' produces nothing and no step depends on it",
              "add what it issues to 'produces', or remove the step");

  // A promised total shorter than the longest chain of promised limits can never be met.
  if (wf.time_limit) {
    auto order = graph::topological_order(n, wf.dependencies);
    std::vector<std::vector<std::size_t>> preds(n);
    for (const auto& d : wf.dependencies) preds[d.to].push_back(d.from);
    std::vector<double> finish(n, 0);
    std::vector<std::size_t> via(n, SIZE_MAX);  // the predecessor that finishes last
    double longest = 0;
    std::size_t last = SIZE_MAX;
    for (std::size_t u : order) {
      double start = 0;
      for (std::size_t p : preds[u])
        if (via[u] == SIZE_MAX || finish[p] > start) {
          start = finish[p];
          via[u] = p;
        }
      finish[u] = start + wf.steps[u].days;
      if (last == SIZE_MAX || finish[u] > longest) {
        longest = finish[u];
        last = u;
      }
    }
    if (longest > *wf.time_limit) {
      std::vector<std::string> chain;
      for (std::size_t u = last; u != SIZE_MAX; u = via[u])
        chain.push_back(wf.steps[u].id + " (" + fmt_num(wf.steps[u].days) + ")");
      std::reverse(chain.begin(), chain.end());
      std::string path;
      for (const auto& x : chain) path += (path.empty() ? "" : " -> ") + x;
      warning(time_limit_pos_.line > 0 ? time_limit_pos_ : wf.pos,
              "'time_limit' " + fmt_num(*wf.time_limit) + " is shorter than the longest chain of promised limits, " +
                  path + ", which takes " + fmt_num(longest) + " working days",
              "raise 'time_limit', or shorten the 'days' of steps on that chain");
    }
  }

  // Windows: a package is one window for all its items.
  for (auto& s : wf.steps) {
    if (wf.is_package()) s.window = wf.window.empty() ? wf.id : wf.window;
    else if (s.window.empty()) s.window = wf.window.empty() ? s.lead : wf.window;
  }
}

}  // namespace jointreview::loader
