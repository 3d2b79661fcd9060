// Private: the writers behind render_plan / render_comparison.
#pragma once

#include <string>
#include <vector>

#include "jointreview/planner.h"
#include "model/departments.h"

namespace jointreview::plan_render {

std::string table(const Workflow& wf, const Plan& p);
std::string json(const Workflow& wf, const Plan& p);
std::string dot(const Workflow& wf, const Plan& p);
std::string mermaid(const Workflow& wf, const Plan& p);
std::string svg(const Workflow& wf, const Plan& p);   // gantt.cpp
std::string html(const Workflow& wf, const Plan& p);  // gantt.cpp


// Whether some step has a preparation or an excluded period in its span.
bool has_spans(const Plan& p);
// The time-limit judgement in words: "40 working days: met on counted days
// (27 counted, 13 to spare; 47 elapsed)", or "... NOT met ...". Needs a limit.
std::string limit_text(const Plan& p);

// Steps in the order the table and the chart list them: by wave, then declared order.
std::vector<std::size_t> wave_order(const Plan& p);

}  // namespace jointreview::plan_render
