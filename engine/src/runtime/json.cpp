#include <nlohmann/json.hpp>

#include "jointreview/engine.h"

namespace jointreview {

namespace {
// A date field: the date, or null when there is none (no clock ran) or it
// cannot be named (past the calendar's data with strict counting; the
// tables say "after YYYY-12-31"). Never prose in JSON.
nlohmann::ordered_json date_or_null(const std::string& d) {
  if (Date::try_parse(d)) return d;
  return nullptr;
}
// A text field that may be absent: the text, or null.
nlohmann::ordered_json text_or_null(const std::string& t) {
  if (t.empty()) return nullptr;
  return t;
}
}  // namespace

namespace {
using nlohmann::ordered_json;

ordered_json step_json(const StepStatus& s) {
  ordered_json claims = ordered_json::array();
  for (const auto& c : s.claims) claims.push_back({{"department", c.department}, {"staff", c.staff}, {"since", c.since}});
  return {{"id", s.id},
          {"name", s.name},
          {"state", s.state},
          {"since", s.since},
          {"department", s.departments.empty() ? std::string() : s.departments.front()},
          {"departments", s.departments},
          {"deadline", date_or_null(s.deadline)},
          {"deadline_provisional", s.deadline_provisional},
          {"days_used", s.days_used},
          {"days_limit", s.days_limit},
          {"warned", s.warned},
          {"overdue", s.overdue},
          {"paused", s.paused},
          {"paused_until", date_or_null(s.paused_until)},
          {"paused_until_provisional", s.paused_until_provisional},
          {"ground", text_or_null(s.ground)},
          {"exclusion_reason", text_or_null(s.exclusion_reason)},
          {"extended_days", s.extended_days},
          {"statutory_days", s.statutory_days < 0 ? ordered_json(nullptr) : ordered_json(s.statutory_days)},
          {"statutory_overdue", s.statutory_overdue},
          {"on_commitment", s.on_commitment},
          {"verification_pending", s.verification_pending},
          {"verification_due", date_or_null(s.verification_due)},
          {"verification_due_provisional", s.verification_due_provisional},
          {"verification_overdue", s.verification_overdue},
          {"rectifying", s.rectifying},
          {"rectify_due", date_or_null(s.rectify_due)},
          {"review_required", s.review_required},
          {"material_overdue", s.material_overdue},
          {"contact_pending", s.contact_pending},
          {"contact_overdue", s.contact_overdue},
          {"rounds", s.rounds},
          {"notices", s.notices},
          {"repeat_notice", s.repeat_notice},
          {"missing_materials", s.missing_materials},
          {"reviews_pending", s.reviews_pending},
          {"claims", claims}};
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
          {"key", text_or_null(s.key)},
          {"version", s.version},
          {"state", s.state},
          {"green", s.green},
          {"started", s.started},
          {"finished", s.finished},
          {"clock_started", date_or_null(s.clock_started)},
          {"counted_days", s.counted_days},
          {"elapsed_days", s.elapsed_days},
          {"deadline", date_or_null(s.deadline)},
          {"deadline_provisional", s.deadline_provisional},
          {"warned", s.warned},
          {"overdue", s.overdue},
          {"progress", {{"approved", approved}, {"total", s.steps.size()}}},
          {"steps", steps}};
}
}  // namespace

std::string status_json(const InstanceStatus& s, int indent) { return instance_json(s).dump(indent, ' ', false, nlohmann::json::error_handler_t::replace); }

std::string statuses_json(const std::vector<InstanceStatus>& all, int indent) {
  ordered_json a = ordered_json::array();
  for (const auto& s : all) a.push_back(instance_json(s));
  return a.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
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
  return a.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

const char* to_string(WorkTask t) {
  switch (t) {
    case WorkTask::accept: return "accept";
    case WorkTask::review: return "review";
    case WorkTask::review_suspended: return "review-suspended";
    case WorkTask::contact: return "contact";
    case WorkTask::verify: return "verify";
    case WorkTask::rectification: return "rectification";
    case WorkTask::review_approval: return "review-approval";
    case WorkTask::collect_material: return "collect-material";
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
    case WorkTask::rectification: return "check the ordered rectification: rectified, or revoke";
    case WorkTask::review_approval: return "a step it depends on was revoked: confirm or revoke";
    case WorkTask::collect_material: return "issued first: collect the deferred material";
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
                 {"deadline", date_or_null(i.deadline)},
                 {"deadline_provisional", i.deadline_provisional},
                 {"since", i.since},
                 {"green", i.green},
                 {"overdue", i.overdue},
                 {"warned", i.warned},
                 {"statutory_overdue", i.statutory_overdue},
                 {"claimed_by", text_or_null(i.claimed_by)},
                 {"version", i.version}});
  return a.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string weekly_report_json(const WeeklyReport& r, int indent) {
  ordered_json projects = ordered_json::array();
  for (const auto& p : r.projects) {
    ordered_json steps = ordered_json::array();
    for (const auto& st : p.in_progress)
      steps.push_back({{"step", st.step},
                       {"name", st.name},
                       {"state", to_string(st.state)},
                       {"deadline", date_or_null(st.deadline)},
                       {"deadline_provisional", st.deadline_provisional}});
    projects.push_back({{"instance", p.instance},
                        {"project", p.project},
                        {"workflow", p.workflow},
                        {"state", to_string(p.state)},
                        {"green", p.green},
                        {"approved", p.approved},
                        {"total", p.total},
                        {"approved_this_week", p.approved_this_week},
                        {"promised_by", date_or_null(p.promised_by)},
                        {"promised_by_provisional", p.promised_by_provisional},
                        {"project_overdue", p.project_overdue},
                        {"project_warned", p.project_warned},
                        {"in_progress", steps}});
  }
  auto items = [](const std::vector<ReportItem>& v) {
    ordered_json a = ordered_json::array();
    for (const auto& i : v) {
      ordered_json o = {{"instance", i.instance},
                        {"project", i.project},
                        {"step", i.step},
                        {"name", i.name},
                        {"department", i.department},
                        {"state", i.kind == ReportItem::Kind::contact_overdue ? "contact task overdue (首退必联)"
                                                                               : to_string(i.state)},
                        {"deadline", date_or_null(i.deadline)},
                        {"deadline_provisional", i.deadline_provisional},
                        {"days_used", i.days_used},
                        {"days_limit", i.days_limit},
                        {"statutory_overdue", i.statutory_overdue}};
      if (i.kind == ReportItem::Kind::stopped) {
        o["ground"] = i.ground;
        o["exclusion_reason"] = i.exclusion_reason;
        o["paused_until"] = date_or_null(i.paused_until);
        o["paused_until_provisional"] = i.paused_until_provisional;
      }
      a.push_back(std::move(o));
    }
    return a;
  };
  ordered_json depts = ordered_json::array();
  for (const auto& d : r.departments)
    depts.push_back({{"department", d.department},
                     {"open", d.open},
                     {"overdue", d.overdue},
                     {"approved_this_week", d.approved_this_week},
                     {"returned_this_week", d.returned_this_week},
                     {"repeat_notices_this_week", d.repeat_notices_this_week}});
  ordered_json j = {{"week", r.week},         {"from", r.from},           {"to", r.to},
                    {"friday", r.friday},     {"projects", projects},     {"overdue", items(r.overdue)},
                    {"warned", items(r.warned)}, {"stopped", items(r.stopped)}, {"departments", depts}};
  return j.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string stored_calendars_json(const std::vector<StoredCalendar>& calendars, int indent) {
  ordered_json a = ordered_json::array();
  for (const auto& c : calendars)
    a.push_back({{"id", c.id},
                 {"version", c.version},
                 {"name", c.name},
                 {"source", c.source},
                 {"stored", c.stored},
                 {"first_year", c.first_year},
                 {"last_year", c.last_year},
                 {"provisional_until", c.provisional_until},
                 {"versions", c.versions},
                 {"instances", c.instances},
                 {"running", c.running}});
  return a.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string calendar_update_json(const CalendarUpdate& u, int indent) {
  ordered_json changes = ordered_json::array();
  for (const auto& c : u.changes)
    changes.push_back({{"instance", c.instance},
                       {"step", text_or_null(c.step)},
                       {"what", c.what},
                       {"from", date_or_null(c.from)},
                       {"from_provisional", c.from_provisional},
                       {"to", date_or_null(c.to)},
                       {"to_provisional", c.to_provisional}});
  ordered_json o = {{"id", u.id},
                    {"old_version", u.old_version},
                    {"new_version", u.new_version},
                    {"changed", u.changed},
                    {"instances", u.instances},
                    {"changes", changes}};
  return o.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

namespace {
ordered_json deployed_object(const DeployedWorkflow& w) {
  return {{"id", w.id},           {"version", w.version},   {"hash", w.hash},     {"title", w.title},
          {"deployed", w.deployed}, {"running", w.running}, {"latest", w.latest}, {"existed", w.existed}};
}
}  // namespace

std::string deployed_json(const DeployedWorkflow& w, int indent) {
  return deployed_object(w).dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string deployed_list_json(const std::vector<DeployedWorkflow>& all, int indent) {
  ordered_json a = ordered_json::array();
  for (const auto& w : all) a.push_back(deployed_object(w));
  return a.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string instance_page_json(const InstancePage& page, int indent) {
  ordered_json a = ordered_json::array();
  for (const auto& s : page.instances)
    a.push_back({{"instance", s.instance},
                 {"project", s.project},
                 {"workflow", s.workflow},
                 {"state", s.state},
                 {"progress", {{"approved", s.approved}, {"total", s.total}}},
                 {"deadline", date_or_null(s.deadline)},
                 {"flags", s.flags},
                 {"applicant", s.applicant},
                 {"green", s.green},
                 {"started", s.started},
                 {"finished", text_or_null(s.finished)},
                 {"key", text_or_null(s.key)},
                 {"version", s.version}});
  ordered_json o = {{"instances", a},
                    {"next", page.next.empty() ? ordered_json(nullptr) : ordered_json(page.next)},
                    {"total", page.total}};
  return o.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace jointreview
