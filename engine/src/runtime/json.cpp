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
          {"deadline_provisional", s.deadline_provisional},
          {"days_used", s.days_used},
          {"days_limit", s.days_limit},
          {"warned", s.warned},
          {"overdue", s.overdue},
          {"paused", s.paused},
          {"on_commitment", s.on_commitment},
          {"verification_pending", s.verification_pending},
          {"verification_due", s.verification_due},
          {"verification_due_provisional", s.verification_due_provisional},
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
          {"deadline_provisional", s.deadline_provisional},
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

const char* to_string(WorkTask t) {
  switch (t) {
    case WorkTask::accept: return "accept";
    case WorkTask::review: return "review";
    case WorkTask::review_suspended: return "review-suspended";
    case WorkTask::contact: return "contact";
    case WorkTask::verify: return "verify";
  }
  return "?";
}

const char* describe(WorkTask t) {
  switch (t) {
    case WorkTask::accept: return "accept, or return with one notice (一次性告知)";
    case WorkTask::review: return "review";
    case WorkTask::review_suspended: return "review (suspended: materials missing)";
    case WorkTask::contact: return "contact the applicant (首退必联)";
    case WorkTask::verify: return "verify the commitment (告知承诺)";
  }
  return "?";
}

std::string worklist_json(const Worklist& w, int indent) {
  ordered_json a = ordered_json::array();
  for (const auto& i : w.items)
    a.push_back({{"instance", i.instance},
                 {"project", i.project},
                 {"step", i.step},
                 {"name", i.name},
                 {"task", describe(i.task)},
                 {"state", to_string(i.state)},
                 {"deadline", i.deadline},
                 {"deadline_provisional", i.deadline_provisional},
                 {"since", i.since},
                 {"green", i.green},
                 {"overdue", i.overdue},
                 {"warned", i.warned}});
  return a.dump(indent);
}

std::string weekly_report_json(const WeeklyReport& r, int indent) {
  ordered_json projects = ordered_json::array();
  for (const auto& p : r.projects) {
    ordered_json steps = ordered_json::array();
    for (const auto& st : p.in_progress)
      steps.push_back({{"step", st.step},
                       {"name", st.name},
                       {"state", to_string(st.state)},
                       {"deadline", st.deadline},
                       {"deadline_provisional", st.deadline_provisional}});
    projects.push_back({{"instance", p.instance},
                        {"project", p.project},
                        {"workflow", p.workflow},
                        {"state", to_string(p.state)},
                        {"green", p.green},
                        {"approved", p.approved},
                        {"total", p.total},
                        {"approved_this_week", p.approved_this_week},
                        {"promised_by", p.promised_by},
                        {"promised_by_provisional", p.promised_by_provisional},
                        {"project_overdue", p.project_overdue},
                        {"project_warned", p.project_warned},
                        {"in_progress", steps}});
  }
  auto items = [](const std::vector<ReportItem>& v) {
    ordered_json a = ordered_json::array();
    for (const auto& i : v)
      a.push_back({{"instance", i.instance},
                   {"project", i.project},
                   {"step", i.step},
                   {"name", i.name},
                   {"department", i.department},
                   {"state", i.kind == ReportItem::Kind::contact_overdue ? "contact task overdue (首退必联)"
                                                                          : to_string(i.state)},
                   {"deadline", i.deadline},
                   {"deadline_provisional", i.deadline_provisional},
                   {"days_used", i.days_used},
                   {"days_limit", i.days_limit}});
    return a;
  };
  ordered_json depts = ordered_json::array();
  for (const auto& d : r.departments)
    depts.push_back({{"department", d.department},
                     {"open", d.open},
                     {"overdue", d.overdue},
                     {"approved_this_week", d.approved_this_week},
                     {"returned_this_week", d.returned_this_week}});
  ordered_json j = {{"week", r.week},         {"from", r.from},           {"to", r.to},
                    {"friday", r.friday},     {"projects", projects},     {"overdue", items(r.overdue)},
                    {"warned", items(r.warned)}, {"departments", depts}};
  return j.dump(indent);
}

}  // namespace jointreview
