// The parallel planner: which steps can run at the same time, how long the
// procedure takes in working days, and on which dates.
//
// plan(Workflow) compiles the workflow into dense indices once, runs a fast
// core on flat arrays (the critical path method on CSR successor lists, no
// strings, maps or per-step allocations: 100,000 steps and 300,000
// dependencies take a few milliseconds; private, engine/src/planner/cpm.h),
// and adds what people read: the critical path, the serial baseline,
// redundant `after` edges, the capacity-constrained schedule and dates.
//
// Rules (docs/planning.md says the same in prose):
//   span    a step's elapsed span = prepare + days + excluded, in this order:
//           the applicant's preparation (`prepare:`, its expected value), the
//           department's review (the promised `days`), then the declared
//           Art. 45 excluded periods (`excluded:`, expected values summed).
//   wave    1 + the largest number of dependency edges on a path from a step
//           without dependencies (wave 1 = can start at once).
//   ES/EF   earliest start / finish in working days from the start (offset 0);
//           ES = max EF of the predecessors, EF = ES + span.
//   review  the window [ES + prepare, ES + prepare + days] in which the
//           step's statutory clock runs.
//   total   max EF over all steps (0 for an empty workflow): elapsed days.
//   counted the project clock: the working days on which at least one step's
//           review window runs (union of the windows; per maximal segment
//           [a, b] ceil(b) - ceil(a), the day a segment starts in not counted).
//   LF/LS   latest finish / start that keep `total`: LF = min LS of the
//           successors, or total for a step without successors; LS = LF - span.
//   slack   LS - ES; a step is critical when its slack is 0.
//   critical path: starts at the critical step without predecessors that comes
//           first in declared order; then repeatedly the critical successor
//           whose ES equals the current EF, first in declared order.
//   serial  the sum of all `days` (every step one after another); the serial
//           elapsed baseline is the sum of all spans.
//   limit   time_limit is judged on the counted days (the project clock), as
//           the law's clock is: preparation and excluded periods do not count.
#pragma once

#include "jointreview/export.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "jointreview/calendar.h"
#include "jointreview/workflow.h"

namespace jointreview {

// ---------------------------------------------------------- workflow plans

struct PlanOptions {
  // The acceptance date (offset 0). Unset (default): offsets only, no dates.
  std::optional<Date> start;
  // The calendar for dates. Null (default): Calendar::load(wf.calendar) on
  // calendar_search_path(wf.file). Only used when `start` is set.
  std::shared_ptr<const Calendar> calendar;
  // Run the capacity-constrained schedule when a department used by a step
  // has a capacity (default true).
  bool capacity = true;
  // Find the redundant `after` edges (default true). Costs n*n/8 bytes.
  bool redundant = true;
};

struct StepPlan {
  std::size_t index = 0;  // into Workflow::steps
  std::string id;
  double days = 0;           // the promised review days (Step::days)
  double prepare_days = 0;   // the applicant's preparation before the review (expected)
  double excluded_days = 0;  // the declared Art. 45 periods after the review (expected, summed)
  double elapsed_days = 0;   // the span: prepare_days + days + excluded_days = EF - ES
  std::uint32_t wave = 0;  // 1-based
  double earliest_start = 0, earliest_finish = 0;
  double latest_start = 0, latest_finish = 0;
  double slack = 0;
  bool critical = false;
  // The review window, where the step's statutory clock runs:
  // [earliest_start + prepare_days, that + days].
  double review_start = 0, review_finish = 0;
  // Capacity-constrained schedule (equal to earliest_* when unconstrained).
  // A step holds its departments' slots only during its review; it waits, if
  // at all, when its preparation is done: scheduled_start = ready + delay.
  double scheduled_start = 0, scheduled_finish = 0;
  double scheduled_review_start = 0, scheduled_review_finish = 0;
  double delay = 0;        // working days the step waited for a free slot once it was ready
  std::string held_by;     // the department whose full capacity held it up ("" = none)
  // Dates (set with PlanOptions::start): add(start, t) for offset t.
  std::optional<Date> start_date, finish_date;
  std::optional<Date> review_start_date, review_finish_date;
  std::optional<Date> scheduled_start_date, scheduled_finish_date;
};

// One maximal stretch during which the project clock runs (the union of the
// steps' review windows), with the whole working days it counts:
// ceil(end) - ceil(start) (the day it starts in is not counted).
struct ClockSegment {
  double start = 0, end = 0;
  double counted = 0;
};

// A declared `after` that other dependencies already imply.
struct RedundantAfter {
  std::string step;   // the step that declares it
  std::string after;  // the step it names
  std::string via;    // the step through which the dependency already holds
  bool material = false;  // `via` is `after` itself: a document flows directly
};

struct JR_EXPORT Plan {
  std::string workflow;
  std::string title;
  std::vector<StepPlan> steps;  // declared order
  std::uint32_t waves = 0;
  double serial_days = 0;          // the sum of the promised days
  double serial_elapsed_days = 0;  // the sum of the spans (prepare + days + excluded)
  double total_days = 0;           // the largest EF: the working days that elapse
  double elapsed_days = 0;         // = total_days
  double counted_days = 0;         // the project clock: the sum of clock[].counted
  std::vector<ClockSegment> clock;  // where the project clock runs, in time order
  std::vector<std::size_t> critical_path;  // step indices, first to last
  std::vector<RedundantAfter> redundant;
  std::optional<double> time_limit;
  // Capacity: `constrained` is true when some used department has a capacity.
  bool constrained = false;
  double constrained_days = 0;  // = total_days when not constrained
  double constrained_counted_days = 0;  // the project clock of that schedule (= counted_days)
  // The elapsed offset at which the project clock reaches time_limit; unset
  // without a limit or when the plan finishes with fewer counted days.
  std::optional<double> time_limit_reached_at;
  std::optional<Date> start_date, finish_date, constrained_finish_date;
  std::optional<Date> time_limit_reached_date;
  std::string calendar;  // calendar id used for dates ("" without start)
  std::shared_ptr<const Calendar> calendar_data;  // the calendar itself (null without start)
  // Set when a date fell after the calendar's last covered day (this day),
  // counted with CalendarOptions::weekend_fallback: weekends only, no
  // holidays or make-up days; such dates are estimates.
  std::optional<Date> weekend_fallback_after;
  // The same for a start before the calendar's first covered day (this
  // day): every date is then an estimate.
  std::optional<Date> weekend_fallback_before;
  // Set when a date falls in a provisional year of the calendar (after its
  // published years, CalendarOptions::strict off): the last published day.
  // Such dates count weekends and the statutory holidays only (no make-up
  // days) and are estimates; the JSON marks each (`..._provisional`).
  std::optional<Date> provisional_after;

  // The date on which offset t falls: add(start, t), or add_fractional for a
  // fraction; unset without a start date. May throw Error(out_of_range).
  std::optional<Date> date_at(double t) const;

  // Whether the promised limit holds, judged on the project clock as the law
  // judges it: counted_days <= time_limit (true without a limit). The
  // applicant's preparation and the Art. 45 excluded periods do not count;
  // total_days (elapsed) may exceed the limit while it is met.
  bool time_limit_met() const { return !time_limit || counted_days <= *time_limit + 1e-9; }
  // The clock time_limit_met() judges: always "counted".
  static const char* time_limit_clock() { return "counted"; }
  // Whether a dependency edge from -> to is on the critical chain of slack-0
  // steps (both critical and to starts when from finishes).
  bool critical_edge(std::size_t from, std::size_t to) const;
};

// Plans a workflow. Throws Error(invalid_workflow) with the cycle's path for
// a cyclic dependency graph (only a programmatically built Workflow can have
// one), Error(out_of_range) for a date outside the calendar, and
// Error(not_found) for an unknown calendar.
JR_EXPORT Plan plan(const Workflow& wf, const PlanOptions& options = {});

// ------------------------------------------------------------------ output

enum class PlanFormat { table, json, dot, mermaid, svg, html };
// "table", "json", ... ; throws Error(invalid_argument) for another name.
JR_EXPORT PlanFormat parse_plan_format(const std::string& name);

// Renders a plan of `wf` (which must be the workflow it was made from).
// table: aligned text (CJK two columns wide); json: the contract in
// docs/planning.md; dot / mermaid: the dependency graph; svg: a Gantt chart;
// html: a page holding the Gantt chart and the table.
JR_EXPORT std::string render_plan(const Workflow& wf, const Plan& plan, PlanFormat format);

// ----------------------------------------------------------------- compare

// One reform metric before and after. reduction_percent = (before - after)
// / before * 100, so a cut is positive; unset when before is 0 and after is
// not (0 when both are 0).
struct ReformMetric {
  double before = 0;
  double after = 0;
  std::optional<double> reduction_percent;
};

struct Comparison {
  std::string before_workflow, after_workflow;
  ReformMetric steps;        // number of steps
  ReformMetric materials;    // distinct applicant materials (Workflow::applicant_materials)
  ReformMetric trips;        // applicant_trips()
  ReformMetric days;         // the critical path on the promised days alone (no preparation, no excluded time)
  ReformMetric serial_days;  // serial baseline (sum of the promised days)
  ReformMetric elapsed_days; // the plan's total_days: elapsed, with preparation and excluded periods
  ReformMetric counted_days; // the plan's counted_days: the project clock
  ReformMetric time_limit;   // promised limits; set only when both declare one
  bool has_time_limit = false;
};

// Applicant trips (跑动次数): the number of distinct windows among the steps
// that are not online. Each step's window is filled by the loader (a package
// is one window).
JR_EXPORT std::size_t applicant_trips(const Workflow& wf);

JR_EXPORT Comparison compare(const Workflow& before, const Workflow& after);

enum class CompareFormat { table, json };
JR_EXPORT std::string render_comparison(const Comparison& c, CompareFormat format);

}  // namespace jointreview
