// Private: the writers behind render_plan / render_comparison.
#pragma once

#include <string>
#include <vector>

#include "jointreview/planner.h"

namespace jointreview::plan_render {

std::string table(const Workflow& wf, const Plan& p);
std::string json(const Workflow& wf, const Plan& p);
std::string dot(const Workflow& wf, const Plan& p);
std::string mermaid(const Workflow& wf, const Plan& p);
std::string svg(const Workflow& wf, const Plan& p);   // gantt.cpp
std::string html(const Workflow& wf, const Plan& p);  // gantt.cpp

// Rows of cells aligned in columns by display width (CJK two columns);
// right[i] right-aligns column i. Lines end without trailing spaces.
std::string align(const std::vector<std::vector<std::string>>& rows, const std::vector<bool>& right);

// Departments of a step joined for display ("住建局、消防救援支队").
std::string departments(const Step& s);

// Steps in the order the table and the chart list them: by wave, then declared order.
std::vector<std::size_t> wave_order(const Plan& p);

}  // namespace jointreview::plan_render
