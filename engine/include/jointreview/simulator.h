// The timeline simulator: Monte Carlo replications of a workflow on a virtual
// working-day clock, driving the same approval state machine as the live
// runtime. docs/simulation.md describes the models and the output contract.
//
//   SimulationOptions o;                 // every field documents its default
//   o.runs = 10000;
//   SimulationResult r = simulate(wf, o);
//   std::cout << render_simulation(r, SimulationFormat::table);
//
// Time is in working days. Offset 0 is the start (acceptance) date; a project
// arriving at offset a that completes at offset f took f - a working days.
#pragma once

#include "jointreview/export.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "jointreview/calendar.h"
#include "jointreview/workflow.h"

namespace jointreview {

struct SimulationOptions {
  // Replications (each one simulates `projects` projects). Default 10000;
  // 0 is refused.
  std::uint64_t runs = 10000;
  // Seed of the random streams. Replication i draws from its own stream
  // derived from (seed, i), so results do not depend on `threads`. Default 1.
  std::uint64_t seed = 1;
  // Date of offset 0 for finish dates. Unset (default): no dates.
  std::optional<Date> start;
  // The calendar for dates. Null (default): Calendar::load(wf.calendar) on
  // calendar_search_path(wf.file). Only used when `start` is set.
  std::shared_ptr<const Calendar> calendar;
  // Projects per replication sharing the departments' capacity. Default 1.
  std::uint32_t projects = 1;
  // Projects arrive over [0, arrival_window) working days: the first at 0,
  // the others at uniformly random times (a Poisson process conditioned on
  // the number of arrivals). Default 20 (about a month). Ignored for 1 project.
  double arrival_window = 20;
  // How many of the projects go through the green channel (绿色通道),
  // spread evenly over the arrival order. Default 0. A workflow with
  // `priority: green` puts every project on the green channel anyway.
  std::uint32_t green_projects = 0;
  // Capacity overrides, department name -> reviews at once (0 = unlimited).
  // Default none: each department's `capacity` from the workflow. An unknown
  // name is refused with Error(invalid_argument).
  std::vector<std::pair<std::string, std::uint32_t>> capacity;
  // Worker threads; 0 (default) = std::thread::hardware_concurrency().
  unsigned threads = 0;
  // Bins of the histogram of total days. Default 30; at least 1.
  std::uint32_t histogram_bins = 30;
  // Re-run the median replication with a trace for the Gantt chart.
  // Default true.
  bool trace_median = true;
  // Called now and then from the calling thread with (done, total)
  // replications, and once at the end. Default none.
  std::function<void(std::uint64_t done, std::uint64_t total)> progress;
  // Count how often each step's own limit turns red (steps[].overdue_share).
  // Default true. Off, the red-flag timers are not armed at all, which saves
  // time; overdue_share is then not reported (SimulationResult::
  // overdue_counted false: null in JSON, "-" in the table and the HTML
  // report, no CSV row). Every other figure is the same either way.
  bool count_overdue = true;
};

struct SimulatedStep {
  std::string id;
  std::string name;
  std::string departments;       // "A、B" (lead first)
  double days = 0;               // promised limit
  double criticality = 0;        // share of completed project runs in which it is on the critical path
  double mean_queue_wait = 0;    // per department review: working days waiting for a free slot
  double mean_returns = 0;       // correction notices per project run
  double mean_finish = 0;        // mean offset of its approval from the project's arrival (completed runs)
  double overdue_share = 0;      // share of project runs in which its own limit went red
};

struct SimulatedDepartment {
  std::string name;
  std::uint32_t capacity = 0;              // as simulated; 0 = unlimited
  std::optional<double> utilization;       // busy slot-days / (capacity * horizon); unset when unlimited
  double mean_busy = 0;                    // mean reviews in progress over the horizon
  double mean_queue_length = 0;            // time-average of waiting reviews over the horizon
  double max_queue_length = 0;             // largest queue seen in any replication
  double mean_queue_wait = 0;              // per review
  double reviews_per_run = 0;              // reviews started per replication
};

// One bar of the Gantt chart of the median run.
struct TraceSegment {
  // commitment: approved at once on the applicant's commitment (a point).
  enum class Kind { review, queue, correction, excluded, suspended, submitted, commitment, prepare };
  std::uint32_t step = 0;  // index into SimulationResult::steps
  Kind kind = Kind::review;
  double start = 0, end = 0;  // offsets from the project's arrival
  std::string department;     // queue: the department waited for
};

struct SimulationResult {
  std::string workflow, title, calendar;
  std::uint64_t runs = 0;
  std::uint64_t seed = 0;
  std::uint32_t projects = 1;
  std::uint32_t green_projects = 0;
  unsigned threads = 1;
  std::uint64_t samples = 0;       // runs * projects
  std::uint64_t completed = 0;     // project runs that completed (and were not revoked)
  double completed_share = 0, rejected_share = 0, revoked_share = 0, withdrawn_share = 0;
  // Totals in working days over completed project runs. Unset with none.
  std::optional<double> mean_days, sd_days, min_days, p50_days, p90_days, p95_days, max_days;
  std::optional<double> mean_days_green, mean_days_normal;  // by channel (when both occur)
  // Counted days over completed project runs: the project clock's (the
  // working days counted by at least one step's statutory clock; neither
  // Art. 45 periods, nor the applicant's preparation and corrections, nor a
  // decision held for a deferred material count), as the live status counts
  // them; this is what the promised limit is measured against.
  std::optional<double> mean_counted_days, p50_counted_days, p90_counted_days, p95_counted_days;
  std::optional<double> time_limit;
  // Share of ALL project runs that completed with counted days within
  // time_limit (a rejected or revoked run is not on time); unset without a limit.
  std::optional<double> on_time_probability;
  // The same with the elapsed total (excluded periods counted), of all runs.
  std::optional<double> on_time_probability_elapsed;
  // On time (counted days) among the COMPLETED runs only; unset without a
  // limit or without a completed run.
  std::optional<double> on_time_share_of_completed;
  double mean_trips = 0;            // applicant trips per project run (docs/simulation.md)
  double planned_days = 0;          // the deterministic plan's elapsed total (expected prepare + days + excluded, no capacity)
  double planned_counted_days = 0;  // the same plan's project clock (counted days)
  std::uint64_t stale_events = 0;   // events recognised as stale and dropped
  std::uint64_t refused_events = 0; // actions the state machine refused (0 unless the models disagree)
  // Dates (with a start): add_fractional(start, days).
  std::optional<Date> start_date, p50_finish_date, p90_finish_date, p95_finish_date;
  // Set when a finish date fell after the calendar's last covered day (this
  // day); such a date is left unset and shown as "after" it.
  std::optional<Date> calendar_last_day;
  // Set when the calendar was loaded with CalendarOptions::weekend_fallback
  // and a reported date (start or finish) fell after its last covered day
  // (this day): such dates count weekends only, without holidays or make-up
  // days, and are estimates.
  std::optional<Date> weekend_fallback_after;
  // The same for a start date before the calendar's first covered day (this
  // day): then every date is counted through uncovered days, so every date
  // is an estimate.
  std::optional<Date> weekend_fallback_before;
  // Set when a reported date falls in a provisional year of the calendar
  // (after its published years): the last published day. Such dates count
  // weekends and the statutory holidays only and are estimates.
  std::optional<Date> provisional_after;
  std::vector<SimulatedStep> steps;              // declared order
  std::vector<SimulatedDepartment> departments;  // declared order
  // Histograms of completed totals and of counted days: the same bins of
  // equal width from hist_min.
  double hist_min = 0, hist_width = 0;
  std::vector<std::uint64_t> histogram, histogram_counted;
  // The median run (project run whose total is p50), for the Gantt chart.
  std::optional<std::uint64_t> median_run;   // replication index
  std::uint32_t median_project = 0;
  double median_total = 0;
  std::vector<TraceSegment> median_trace;
  double seconds = 0;  // wall time of the simulation
  // Whether steps[].overdue_share was counted (SimulationOptions::count_overdue).
  bool overdue_counted = true;
};

// Runs the simulation. Throws Error(invalid_argument) for bad options
// (runs 0, projects 0, an unknown department in `capacity`, a bad window),
// Error(invalid_workflow) for a workflow the state machine cannot compile,
// Error(not_found / out_of_range) for the calendar with a start date.
JR_EXPORT SimulationResult simulate(const Workflow& wf, const SimulationOptions& options = {});

enum class SimulationFormat { table, json, csv, html };
// "table", "json", "csv" or "html"; throws Error(invalid_argument) otherwise.
JR_EXPORT SimulationFormat parse_simulation_format(const std::string& name);

// table: aligned text (CJK two columns wide); json: the contract in
// docs/simulation.md; csv: long form "scope,name,metric,value"; html: a
// self-contained report (inline SVG: histogram, Gantt of the median run,
// criticality, department utilization).
JR_EXPORT std::string render_simulation(const SimulationResult& r, SimulationFormat format);

}  // namespace jointreview
