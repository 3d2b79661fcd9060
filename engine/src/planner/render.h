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


// Steps in the order the table and the chart list them: by wave, then declared order.
std::vector<std::size_t> wave_order(const Plan& p);

}  // namespace jointreview::plan_render
