// The keys of the workflow language, in one place: the loader checks
// against these lists and the JSON Schema is written from them.
#pragma once

#include <string>
#include <vector>

namespace jointreview::keys {

inline const std::vector<std::string> workflow = {
    "workflow", "title", "description", "calendar", "time_limit", "warn_before", "contact_within",
    "window", "priority", "deferred_decision", "departments", "includes", "steps"};
inline const std::vector<std::string> department = {"capacity", "description"};
inline const std::vector<std::string> step = {
    "id", "name", "description", "responsible", "department", "departments", "lead", "days",
    "statutory_days", "needs", "produces", "after", "deferred", "deferred_decision", "commitment", "excluded",
    "duration", "prepare", "correction", "window", "online"};
inline const std::vector<std::string> deferred = {"material", "within", "grace", "late_probability"};
inline const std::vector<std::string> commitment = {"verify_after", "fail_probability", "rectify_within",
                                                    "rectify_probability"};
inline const std::vector<std::string> deferred_decision = {"hold", "issue"};
inline const std::vector<std::string> excluded = {"reason", "days"};
inline const std::vector<std::string> correction = {"probability", "turnaround", "max_rounds"};
inline const std::vector<std::string> distribution = {"dist", "value", "mean", "sd", "min", "mode", "max"};
inline const std::vector<std::string> distribution_kinds = {"fixed",   "exponential", "triangular",
                                                            "pert",    "uniform",     "lognormal"};

}  // namespace jointreview::keys
