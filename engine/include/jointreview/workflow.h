// The validated model of one workflow file (or of a package of them).
//
// A Workflow is what the loader hands out after every check passed. It keeps
// the source position of everything an author wrote, so that later stages
// (planner, runtime) can still point at the file. Names are strings here;
// the planner and the state machine compile them into dense indices.
#pragma once

#include "jointreview/export.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace jointreview {

// A place in a workflow file. Line and column are 1-based; 0 means unknown.
struct SourcePos {
  std::string file;
  int line = 0;
  int column = 0;
};

// A random duration in working days, for the simulator. `fixed` is also what
// a step without `duration:` gets (its promised `days`).
struct JR_EXPORT Distribution {
  enum class Kind { fixed, exponential, triangular, pert, uniform, lognormal };
  Kind kind = Kind::fixed;
  double value = 0;  // fixed
  double mean = 0;   // exponential, lognormal
  double sd = 0;     // lognormal
  double min = 0;    // triangular, pert, uniform
  double mode = 0;   // triangular, pert
  double max = 0;    // triangular, pert, uniform

  static Distribution fixed_days(double d) {
    Distribution x;
    x.value = d;
    return x;
  }
  // The expected value, used by planners that want a single number.
  double expected() const;
};

JR_EXPORT const char* to_string(Distribution::Kind k);

// 容缺受理: a material in `needs` that may arrive after acceptance.
struct DeferredMaterial {
  std::string material;
  double within = 0;  // working days after acceptance to supply it
  double grace = 0;   // working days of suspension before the case is returned
  double late_probability = 0;  // simulation: chance it arrives after `within`
  SourcePos pos;
};

// 告知承诺: approved on the applicant's commitment, verified later.
struct Commitment {
  bool enabled = false;
  double verify_after = 0;       // working days after approval
  double fail_probability = 0;   // simulation: chance verification fails
  double rectify_within = 20;    // working days to rectify after a failed verification
  double rectify_probability = 0.5;  // simulation: chance the applicant rectifies in time
  SourcePos pos;
};

// 容缺受理: what the department does when its review is done while a
// deferred material is still awaited. `hold`: the decision waits for the
// material (the step's clock stopped); `issue`: the permit is issued and the
// material collected afterwards, its own deadline still watched.
enum class DeferredDecision : std::uint8_t { hold, issue };

// Time that does not count against the limit (hearing, expert review ...).
struct ExcludedTime {
  std::string reason;
  Distribution days;  // its length; a plain number in most files
  SourcePos pos;
};

// Correction loop (补正) settings used by the simulator.
struct Correction {
  double probability = 0;    // chance one reviewing department asks for corrections
  Distribution turnaround;   // applicant's working days to resubmit
  int max_rounds = 3;        // after this many returns the step is rejected
  SourcePos pos;
};

struct Step {
  std::string id;
  std::string name;                      // defaults to id
  std::vector<std::string> departments;  // one, or several for a joint review
  std::string lead;                      // lead department (joint review); defaults to the first
  double days = 0;                       // promised time limit, working days
  std::optional<double> statutory_days;  // legal limit
  std::vector<std::string> needs;        // materials required
  std::vector<std::string> produces;     // documents issued
  std::vector<std::string> after;        // explicit dependencies (step ids)
  std::vector<DeferredMaterial> deferred;
  Commitment commitment;
  std::vector<ExcludedTime> excluded;
  std::optional<Distribution> duration;  // unset: exactly `days`
  std::optional<Distribution> prepare;   // the applicant's time to prepare the submission once ready; unset: 0
  std::optional<DeferredDecision> deferred_decision;  // unset: the workflow's
  Correction correction;
  std::string window;                    // where the applicant goes; "" = the lead department's window
  bool online = false;                   // submitted online: no trip
  std::string origin;                    // workflow id it came from (packages)

  SourcePos pos;                         // the step's mapping
  SourcePos id_pos;
  std::vector<SourcePos> after_pos;      // one per `after` entry
  std::vector<SourcePos> needs_pos;      // one per `needs` entry
  std::vector<SourcePos> produces_pos;   // one per `produces` entry

  bool joint() const { return departments.size() > 1; }
  // The duration the simulator draws from (the declared one, or `days`).
  Distribution effective_duration() const {
    return duration ? *duration : Distribution::fixed_days(days);
  }
  // The applicant's preparation time (the declared one, or none).
  Distribution effective_prepare() const { return prepare ? *prepare : Distribution::fixed_days(0); }
  // Whether the permit is issued before a deferred material arrives.
  bool issues_before_deferred() const { return deferred_decision == DeferredDecision::issue; }
};

struct Department {
  std::string name;
  int capacity = 0;  // cases reviewed at once; 0 = unlimited
  SourcePos pos;
};

// One dependency: `to` cannot start before `from` is approved.
struct Dependency {
  enum class Kind { after, material };
  std::size_t from = 0;  // step index
  std::size_t to = 0;    // step index
  Kind kind = Kind::after;
  std::string material;  // for Kind::material: the document that flows
  SourcePos pos;         // where the author wrote it
};

struct JR_EXPORT Workflow {
  std::string id;
  std::string title;
  std::string calendar = "cn";
  std::optional<double> time_limit;
  double warn_before = 1;       // working days before a limit that turn it yellow
  double contact_within = 1;    // 首退必联: working days to contact the applicant
  std::string window;           // default window for every step ("" = per department)
  std::string priority = "normal";  // "normal" or "green" (绿色通道)
  DeferredDecision deferred_decision = DeferredDecision::hold;  // the default of its steps
  std::vector<Department> departments;  // declared and implied, declared first
  std::vector<Step> steps;              // in declared (legacy serial) order
  std::vector<std::string> includes;    // files merged into this package
  std::vector<Dependency> dependencies; // derived: after + material flow, deduplicated
  std::vector<std::string> applicant_materials;  // needed but produced by no step
  std::string file;
  SourcePos pos;

  bool is_package() const { return !includes.empty(); }
  // Index of a step by id, or -1.
  long find_step(const std::string& id) const;
  // Index of a department by name, or -1.
  long find_department(const std::string& name) const;
};

}  // namespace jointreview
