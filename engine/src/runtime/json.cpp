#include <nlohmann/json.hpp>

#include "jointreview/engine.h"

namespace jointreview {

namespace {
using nlohmann::ordered_json;

ordered_json step_json(const StepStatus& s) {
  return {{"id", s.id},
          {"name", s.name},
          {"state", s.state},
          {"since", s.since},
          {"department", s.departments.empty() ? std::string() : s.departments.front()},
          {"departments", s.departments},
          {"deadline", s.deadline},
          {"days_used", s.days_used},
          {"days_limit", s.days_limit},
          {"warned", s.warned},
          {"overdue", s.overdue},
          {"paused", s.paused},
          {"on_commitment", s.on_commitment},
          {"verification_pending", s.verification_pending},
          {"verification_due", s.verification_due},
          {"contact_pending", s.contact_pending},
          {"contact_overdue", s.contact_overdue},
          {"rounds", s.rounds},
          {"missing_materials", s.missing_materials},
          {"reviews_pending", s.reviews_pending}};
}

ordered_json instance_json(const InstanceStatus& s) {
  std::size_t approved = 0;
  ordered_json steps = ordered_json::array();
  for (const auto& st : s.steps) {
    if (st.state == "approved") ++approved;
    steps.push_back(step_json(st));
  }
  return {{"instance", s.instance},
          {"workflow", s.workflow},
          {"workflow_hash", s.workflow_hash},
          {"title", s.title},
          {"project", s.project},
          {"applicant", s.applicant},
          {"state", s.state},
          {"green", s.green},
          {"started", s.started},
          {"finished", s.finished},
          {"deadline", s.deadline},
          {"warned", s.warned},
          {"overdue", s.overdue},
          {"progress", {{"approved", approved}, {"total", s.steps.size()}}},
          {"steps", steps}};
}
}  // namespace

std::string status_json(const InstanceStatus& s, int indent) { return instance_json(s).dump(indent); }

std::string statuses_json(const std::vector<InstanceStatus>& all, int indent) {
  ordered_json a = ordered_json::array();
  for (const auto& s : all) a.push_back(instance_json(s));
  return a.dump(indent);
}

std::string events_json(const std::vector<EventRecord>& events, int indent) {
  ordered_json a = ordered_json::array();
  for (const auto& e : events)
    a.push_back({{"seq", e.seq},
                 {"instance", e.instance},
                 {"time", e.time},
                 {"actor", e.actor},
                 {"kind", e.kind},
                 {"action", e.action},
                 {"step", e.step},
                 {"from", e.from},
                 {"to", e.to},
                 {"note", e.note},
                 {"material", e.material},
                 {"detail", e.detail}});
  return a.dump(indent);
}

}  // namespace jointreview
