// The JSON Schema of the workflow language, for editors (yaml-language-server).
// The property lists come from loader_keys.h; a test checks that every key
// the loader knows is described here and the other way round.
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "jointreview/loader.h"
#include "loader/keys.h"

namespace jointreview {

namespace {

using nlohmann::ordered_json;

ordered_json days(const char* description) {
  return {{"type", "number"}, {"minimum", 0}, {"description", description}};
}

ordered_json text(const char* description) { return {{"type", "string"}, {"description", description}}; }

ordered_json text_list(const char* description) {
  return {{"type", "array"}, {"items", {{"type", "string"}, {"minLength", 1}}}, {"description", description}};
}

ordered_json probability(const char* description) {
  return {{"type", "number"}, {"minimum", 0}, {"maximum", 1}, {"description", description}};
}

ordered_json closed_object(ordered_json props, const std::vector<std::string>& order,
                           std::vector<std::string> required, const char* description) {
  ordered_json sorted = ordered_json::object();
  for (const auto& k : order) {
    if (!props.contains(k)) throw std::logic_error("schema lacks key " + k);
    sorted[k] = props[k];
  }
  if (sorted.size() != props.size()) throw std::logic_error("schema has a key the loader does not know");
  ordered_json o = {{"type", "object"}, {"description", description}, {"properties", sorted},
                    {"additionalProperties", false}};
  if (!required.empty()) o["required"] = required;
  return o;
}

ordered_json distribution_def() {
  ordered_json one_of = ordered_json::array();
  one_of.push_back({{"type", "number"}, {"minimum", 0}, {"description", "a fixed number of working days"}});
  auto variant = [](const char* kind, std::vector<std::string> params) {
    ordered_json props = {{"dist", {{"const", kind}}}};
    for (const auto& p : params) props[p] = {{"type", "number"}, {"minimum", 0}};
    std::vector<std::string> req = {"dist"};
    req.insert(req.end(), params.begin(), params.end());
    return ordered_json{{"type", "object"}, {"properties", props}, {"required", req},
                        {"additionalProperties", false}};
  };
  one_of.push_back(variant("fixed", {"value"}));
  one_of.push_back(variant("exponential", {"mean"}));
  one_of.push_back(variant("triangular", {"min", "mode", "max"}));
  one_of.push_back(variant("pert", {"min", "mode", "max"}));
  one_of.push_back(variant("uniform", {"min", "max"}));
  one_of.push_back(variant("lognormal", {"mean", "sd"}));
  return {{"description", "working days: a number, or a distribution {dist: KIND, ...}"}, {"oneOf", one_of}};
}

}  // namespace

std::string workflow_schema_json() {
  const ordered_json dist_ref = {{"$ref", "#/definitions/distribution"}};

  ordered_json deferred_props = {
      {"material", text("a material from the step's needs that may arrive after acceptance")},
      {"within", days("working days after acceptance by which it must arrive")},
      {"grace", days("working days of suspension before the case is returned (default 0)")},
      {"late_probability", probability("simulation: chance it arrives after 'within'")}};
  ordered_json commitment_props = {
      {"verify_after", days("working days after approval when the verification falls due")},
      {"fail_probability", probability("simulation: chance the verification fails")},
      {"rectify_within", days("working days to rectify after a failed verification (default 20)")},
      {"rectify_probability", probability("simulation: chance the applicant rectifies in time (default 0.5)")}};
  const ordered_json deferred_decision = {
      {"enum", {"hold", "issue"}},
      {"description", "容缺: hold the decision until the deferred material arrives (default), or issue and collect it after"}};
  ordered_json excluded_props = {
      {"reason", text("what stops the clock: hearing, expert review, testing ...")},
      {"days", dist_ref}};
  ordered_json correction_props = {
      {"probability", probability("chance that one reviewing department asks for corrections")},
      {"turnaround", dist_ref},
      {"max_rounds", {{"type", "integer"}, {"minimum", 1}, {"description", "returns before the step is rejected (default 3)"}}}};

  ordered_json step_props = {
      {"id", {{"type", "string"}, {"pattern", "^[A-Za-z0-9_-]+$"}, {"description", "unique step id"}}},
      {"name", text("the item's name as the public sees it")},
      {"description", text("free text")},
      {"responsible", text("the person responsible for this item")},
      {"department", text("the one department that handles the step")},
      {"departments", {{"type", "array"}, {"items", {{"type", "string"}}}, {"minItems", 1},
                       {"description", "joint review: departments that review at the same time, one consolidated notice"}}},
      {"lead", text("lead department of a joint review (default: the first)")},
      {"days", days("promised time limit in working days")},
      {"statutory_days", days("legal time limit in working days")},
      {"needs", text_list("materials the step requires")},
      {"produces", text_list("documents the step issues")},
      {"after", text_list("ids of steps that must be approved first")},
      {"deferred", {{"type", "array"}, {"description", "容缺受理: materials that may follow later"},
                    {"items", closed_object(deferred_props, keys::deferred, {"material", "within"}, "a deferred material")}}},
      {"deferred_decision", deferred_decision},
      {"commitment", closed_object(commitment_props, keys::commitment, {"verify_after"},
                                   "告知承诺: approved on commitment, verified later")},
      {"excluded", {{"type", "array"}, {"description", "periods that do not count against the limit"},
                    {"items", closed_object(excluded_props, keys::excluded, {"reason", "days"}, "an excluded period")}}},
      {"duration", dist_ref},
      {"prepare", dist_ref},
      {"correction", closed_object(correction_props, keys::correction, {"probability"}, "correction loop (补正)")},
      {"window", text("the window where the applicant hands in this step (for trip counting)")},
      {"online", {{"type", "boolean"}, {"description", "submitted online: no trip"}}}};
  ordered_json step = closed_object(step_props, keys::step, {"id", "days"}, "one approval item");

  ordered_json dept_props = {
      {"capacity", {{"type", "integer"}, {"minimum", 1}, {"description", "cases reviewed at once"}}},
      {"description", text("free text")}};
  ordered_json dept = closed_object(dept_props, keys::department, {}, "settings of one department");
  dept["type"] = {"object", "null"};

  ordered_json wf_props = {
      {"workflow", {{"type", "string"}, {"pattern", "^[A-Za-z0-9_-]+$"}, {"description", "workflow id"}}},
      {"title", text("title, any UTF-8 text")},
      {"description", text("free text")},
      {"calendar", text("working-day calendar id (default cn)")},
      {"time_limit", days("promised total in working days")},
      {"warn_before", days("working days before a limit when it turns yellow (default 1)")},
      {"contact_within", days("首退必联: working days to contact the applicant after a first return (default 1)")},
      {"window", text("the window for every step; a package is always one window")},
      {"priority", {{"enum", {"normal", "green"}}, {"description", "green: 绿色通道, first in every queue"}}},
      {"deferred_decision", deferred_decision},
      {"departments", {{"type", "object"}, {"additionalProperties", dept},
                       {"description", "per-department settings, by department name"}}},
      {"includes", text_list("a package: workflow files merged into this one, relative to this file")},
      {"steps", {{"type", "array"}, {"items", step}}}};
  ordered_json root = closed_object(wf_props, keys::workflow, {"workflow"}, "a JointReview workflow");
  ordered_json out = {{"$schema", "http://json-schema.org/draft-07/schema#"},
                      {"$id", "https://jointreview.invalid/workflow.schema.json"},
                      {"title", "JointReview workflow"}};
  for (auto& [k, v] : root.items()) out[k] = v;
  out["anyOf"] = {{{"required", {"steps"}}}, {{"required", {"includes"}}}};
  out["definitions"] = {{"distribution", distribution_def()}};
  return out.dump(2) + "\n";
}

}  // namespace jointreview
