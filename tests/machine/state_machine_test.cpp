// The approval state machine: a table of every action in every state of a
// single-department step (allowed and refused), then the rules a user relies
// on, scenario by scenario.
#include <catch2/catch.hpp>

#include <set>

#include <iterator>
#include <random>
#include <sstream>

#include "rules_workflow.h"
#include "machine/state_machine_harness.h"
#include "machine/rules.h"  // apply() with a sink of the test's own

using namespace jointreview;
using jrtest::Harness;

namespace {

const char* const kWorkflow = jrtest::kRulesWorkflow;

// Brings step s1 into `state`.
void reach(Harness& h, const std::string& state) {
  const Actor A = h.dept("A"), app = Actor::applicant();
  if (state == "ready") return;
  h.ok(Action::submit, "s1", app);
  if (state == "submitted") return;
  if (state == "returned-early") { h.ok(Action::return_, "s1", A); return; }
  if (state == "rejected") { h.ok(Action::reject, "s1", A); return; }
  if (state == "withdrawn") { h.ok(Action::withdraw, "s1", app); return; }
  h.ok(Action::accept, "s1", A);
  if (state == "accepted") return;
  if (state == "returned") { h.ok(Action::return_, "s1", A); return; }
  if (state == "approved") { h.ok(Action::approve, "s1", A); return; }
  FAIL("unknown setup state " << state);
}

struct Row {
  const char* state;
  Action action;
  const char* expect;  // a resulting state of s1, or "refused:<reason>"
};

const char* refusal_name(Refusal r) {
  switch (r) {
    case Refusal::none: return "none";
    case Refusal::wrong_state: return "wrong_state";
    case Refusal::blocked: return "blocked";
    case Refusal::no_commitment: return "no_commitment";
    case Refusal::unknown_material: return "unknown_material";
    case Refusal::nothing_pending: return "nothing_pending";
    case Refusal::not_paused: return "not_paused";
    case Refusal::no_exclusion: return "no_exclusion";
    case Refusal::no_ground: return "no_ground";
    case Refusal::instance_closed: return "instance_closed";
    case Refusal::already_reviewed: return "already_reviewed";
    default: return "other";
  }
}

}  // namespace

TEST_CASE("every action in every state of a one-department step", "[state_machine][table]") {
  using A = Action;
  // clang-format off
  const std::vector<Row> table = {
    {"ready", A::submit, "submitted"},        {"ready", A::accept, "refused:wrong_state"},
    {"ready", A::approve, "refused:wrong_state"}, {"ready", A::return_, "refused:wrong_state"},
    {"ready", A::resubmit, "refused:wrong_state"}, {"ready", A::reject, "refused:wrong_state"},
    {"ready", A::commit, "refused:no_commitment"}, {"ready", A::supply, "refused:unknown_material"},
    {"ready", A::withdraw, "withdrawn"},      {"ready", A::verify, "refused:nothing_pending"},
    {"ready", A::verify_failed, "refused:nothing_pending"}, {"ready", A::contact, "refused:nothing_pending"},
    {"ready", A::exclude, "refused:wrong_state"}, {"ready", A::resume, "refused:not_paused"},

    {"submitted", A::submit, "refused:wrong_state"}, {"submitted", A::accept, "accepted"},
    {"submitted", A::approve, "refused:wrong_state"}, {"submitted", A::return_, "returned"},
    {"submitted", A::resubmit, "refused:wrong_state"}, {"submitted", A::reject, "rejected"},
    {"submitted", A::commit, "refused:no_commitment"}, {"submitted", A::supply, "refused:unknown_material"},
    {"submitted", A::withdraw, "withdrawn"},  {"submitted", A::verify, "refused:nothing_pending"},
    {"submitted", A::contact, "refused:nothing_pending"}, {"submitted", A::exclude, "refused:wrong_state"},
    {"submitted", A::resume, "refused:not_paused"},

    {"accepted", A::submit, "refused:wrong_state"}, {"accepted", A::accept, "refused:wrong_state"},
    {"accepted", A::approve, "approved"},     {"accepted", A::return_, "returned"},
    {"accepted", A::resubmit, "refused:wrong_state"}, {"accepted", A::reject, "rejected"},
    {"accepted", A::commit, "refused:no_commitment"}, {"accepted", A::supply, "refused:unknown_material"},
    {"accepted", A::withdraw, "withdrawn"},   {"accepted", A::verify, "refused:nothing_pending"},
    {"accepted", A::verify_failed, "refused:nothing_pending"}, {"accepted", A::contact, "refused:nothing_pending"},
    {"accepted", A::exclude, "refused:no_ground"}, {"accepted", A::resume, "refused:not_paused"},

    {"returned", A::submit, "refused:wrong_state"}, {"returned", A::accept, "refused:wrong_state"},
    {"returned", A::approve, "refused:wrong_state"}, {"returned", A::return_, "refused:wrong_state"},
    {"returned", A::resubmit, "accepted"},    {"returned", A::reject, "rejected"},
    {"returned", A::commit, "refused:no_commitment"}, {"returned", A::supply, "refused:unknown_material"},
    {"returned", A::withdraw, "withdrawn"},   {"returned", A::verify, "refused:nothing_pending"},
    {"returned", A::contact, "returned"},     {"returned", A::exclude, "refused:wrong_state"},
    {"returned", A::resume, "refused:not_paused"},

    {"returned-early", A::resubmit, "submitted"}, {"returned-early", A::accept, "refused:wrong_state"},
    {"returned-early", A::contact, "returned"},

    {"approved", A::submit, "refused:wrong_state"}, {"approved", A::accept, "refused:wrong_state"},
    {"approved", A::approve, "refused:wrong_state"}, {"approved", A::return_, "refused:wrong_state"},
    {"approved", A::resubmit, "refused:wrong_state"}, {"approved", A::reject, "refused:wrong_state"},
    {"approved", A::commit, "refused:no_commitment"}, {"approved", A::supply, "refused:unknown_material"},
    {"approved", A::withdraw, "refused:wrong_state"}, {"approved", A::verify, "refused:nothing_pending"},
    {"approved", A::verify_failed, "refused:nothing_pending"}, {"approved", A::contact, "refused:nothing_pending"},
    {"approved", A::exclude, "refused:wrong_state"}, {"approved", A::resume, "refused:not_paused"},

    {"rejected", A::submit, "refused:instance_closed"}, {"rejected", A::accept, "refused:instance_closed"},
    {"rejected", A::approve, "refused:instance_closed"}, {"rejected", A::resubmit, "refused:instance_closed"},
    {"rejected", A::withdraw, "refused:instance_closed"}, {"rejected", A::verify, "refused:nothing_pending"},
    {"rejected", A::contact, "refused:nothing_pending"},

    {"withdrawn", A::submit, "refused:instance_closed"}, {"withdrawn", A::approve, "refused:instance_closed"},
    {"withdrawn", A::reject, "refused:instance_closed"}, {"withdrawn", A::verify_failed, "refused:nothing_pending"},
  };
  // clang-format on
  for (const Row& row : table) {
    DYNAMIC_SECTION(row.state << " + " << to_string(row.action)) {
      Harness h(kWorkflow);
      reach(h, row.state);
      const bool applicant = row.action == Action::submit || row.action == Action::resubmit ||
                             row.action == Action::commit || row.action == Action::supply ||
                             row.action == Action::withdraw;
      Actor who = applicant ? Actor::applicant() : h.dept("A");
      StepState before = h.state("s1");
      Refusal r = h.act(row.action, "s1", who, -1, row.action == Action::supply ? 0 : -1);
      std::string expect = row.expect;
      if (expect.rfind("refused:", 0) == 0) {
        CHECK(std::string(refusal_name(r)) == expect.substr(8));
        CHECK(h.state("s1") == before);  // a refusal changes nothing
        CHECK(h.fx.empty());
        Event e;
        e.action = row.action;
        e.step = h.step("s1");
        e.actor = who;
        CHECK_FALSE(h.m.explain(h.st, e, r).empty());
      } else {
        CHECK(r == Refusal::none);
        CHECK(std::string(to_string(h.state("s1"))) == expect);
      }
    }
  }
}

TEST_CASE("actors: applicant actions, department actions, lead-only acceptance", "[state_machine]") {
  Harness h(kWorkflow);
  CHECK(h.act(Action::submit, "s1", h.dept("A")) == Refusal::applicant_only);
  CHECK(h.act(Action::withdraw, "s1", Actor::system()) == Refusal::applicant_only);
  h.ok(Action::submit, "s1", Actor::applicant());
  CHECK(h.act(Action::accept, "s1", Actor::applicant()) == Refusal::department_only);
  CHECK(h.act(Action::accept, "s1", h.dept("B")) == Refusal::not_reviewer);
  Event e;
  e.action = Action::accept;
  e.step = h.step("s1");
  e.actor = h.dept("B");
  CHECK(h.m.explain(h.st, e, Refusal::not_reviewer) == "department 'B' does not handle step 's1'; it is handled by A");
  h.ok(Action::accept, "s1", h.dept("A"));
  h.ok(Action::approve, "s1", h.dept("A"));
  h.ok(Action::submit, "joint", Actor::applicant());
  CHECK(h.act(Action::accept, "joint", h.dept("A")) == Refusal::lead_only);
  h.ok(Action::accept, "joint", h.dept("B"));
}

TEST_CASE("a blocked step names what it waits for", "[state_machine]") {
  Harness h(kWorkflow);
  CHECK(h.state("final") == StepState::blocked);
  Refusal r = h.act(Action::submit, "final", Actor::applicant());
  CHECK(r == Refusal::blocked);
  Event e;
  e.action = Action::submit;
  e.step = h.step("final");
  e.actor = Actor::applicant();
  CHECK(h.m.explain(h.st, e, r) == "step 'final' is blocked: it waits for 'joint' (blocked), 'promise' (blocked)");
}

TEST_CASE("parallel steps become ready together when their predecessor is approved", "[state_machine]") {
  Harness h(kWorkflow);
  CHECK(h.state("s1") == StepState::ready);
  CHECK(h.state("joint") == StepState::blocked);
  CHECK(h.state("promise") == StepState::blocked);
  h.ok(Action::submit, "s1", Actor::applicant());
  h.ok(Action::accept, "s1", h.dept("A"));
  h.ok(Action::approve, "s1", h.dept("A"), 2.5);
  CHECK(h.state("joint") == StepState::ready);
  CHECK(h.state("promise") == StepState::ready);
  CHECK(h.state("final") == StepState::blocked);
}

namespace {
void to_joint_review(Harness& h) {
  h.ok(Action::submit, "s1", Actor::applicant());
  h.ok(Action::accept, "s1", h.dept("A"));
  h.ok(Action::approve, "s1", h.dept("A"));
  h.ok(Action::supply, "joint", Actor::applicant(), -1, 0);  // m2 handed in up front
  h.ok(Action::submit, "joint", Actor::applicant());
  h.ok(Action::accept, "joint", h.dept("B"));
}
}  // namespace

TEST_CASE("joint review: departments review together, corrections come in ONE notice", "[state_machine]") {
  Harness h(kWorkflow);
  to_joint_review(h);
  CHECK(h.count_last(EffectKind::review_requested) == 3);
  h.ok(Action::return_, "joint", h.dept("A"), 2);
  CHECK(h.state("joint") == StepState::accepted);  // B and C still reviewing: no notice yet
  CHECK(h.count(EffectKind::notice) == 0);
  h.ok(Action::approve, "joint", h.dept("B"), 3);
  h.ok(Action::return_, "joint", h.dept("C"), 4);
  CHECK(h.state("joint") == StepState::returned);
  REQUIRE(h.count(EffectKind::notice) == 1);
  auto notice = std::find_if(h.all.begin(), h.all.end(), [](const Effect& e) { return e.kind == EffectKind::notice; });
  // Slots: lead B first, then A, then C: A is slot 1, C slot 2.
  CHECK(notice->mask == ((1u << 1) | (1u << 2)));
  // Resubmission: only the departments that asked for corrections review again.
  h.ok(Action::resubmit, "joint", Actor::applicant(), 6);
  CHECK(h.count_last(EffectKind::review_requested) == 2);
  CHECK(h.act(Action::approve, "joint", h.dept("B")) == Refusal::already_reviewed);
  h.ok(Action::approve, "joint", h.dept("A"));
  CHECK(h.state("joint") == StepState::accepted);
  h.ok(Action::approve, "joint", h.dept("C"));
  CHECK(h.state("joint") == StepState::approved);
}

TEST_CASE("the correction loop stops the clock; the first return creates a contact task", "[state_machine]") {
  Harness h(kWorkflow);
  h.ok(Action::submit, "s1", Actor::applicant());
  h.ok(Action::accept, "s1", h.dept("A"));  // at 0.5: 5 working days end at 6
  CHECK(h.rt("s1").due == 6);
  h.ok(Action::return_, "s1", h.dept("A"), 2.5);  // 2 days used
  REQUIRE(h.count(EffectKind::contact_task) == 1);
  auto task = std::find_if(h.all.begin(), h.all.end(), [](const Effect& e) { return e.kind == EffectKind::contact_task; });
  CHECK(task->at == 4);  // contact_within 1: end of the next working day
  h.advance(4.2);
  CHECK(h.rt("s1").contact_overdue);
  h.ok(Action::contact, "s1", h.dept("A"));
  CHECK_FALSE(h.rt("s1").contact_pending);
  h.ok(Action::resubmit, "s1", Actor::applicant(), 10.5);
  CHECK(h.rt("s1").due == 14);  // 3 days remain from 10.5
  CHECK_FALSE(h.rt("s1").overdue);
  h.ok(Action::return_, "s1", h.dept("A"), 11.5);
  CHECK(h.count(EffectKind::contact_task) == 1);  // only the first return
  CHECK(h.rt("s1").rounds == 2);
}

TEST_CASE("deadlines: yellow before the promised limit, red after it, per step and for the project",
          "[state_machine]") {
  Harness h(kWorkflow);
  h.ok(Action::submit, "s1", Actor::applicant());
  h.ok(Action::accept, "s1", h.dept("A"));  // due 6
  h.advance(4.9);
  CHECK_FALSE(h.rt("s1").warned);
  h.advance(5.0);
  CHECK(h.rt("s1").warned);
  CHECK_FALSE(h.rt("s1").overdue);
  h.advance(6.0);
  CHECK(h.rt("s1").overdue);
  CHECK_FALSE(h.st.warned);
  h.advance(30.0);  // started at 0.5, limit 30: due at 31, warn at 30
  CHECK(h.st.warned);
  CHECK_FALSE(h.st.overdue);
  h.advance(31.0);
  CHECK(h.st.overdue);
}

TEST_CASE("deferred materials: review goes on, the decision waits, suspension, then return", "[state_machine]") {
  SECTION("supplied in time: the decision follows the material") {
    Harness h(kWorkflow);
    h.ok(Action::submit, "s1", Actor::applicant());
    h.ok(Action::accept, "s1", h.dept("A"));
    h.ok(Action::approve, "s1", h.dept("A"));
    h.ok(Action::submit, "joint", Actor::applicant());
    h.ok(Action::accept, "joint", h.dept("B"), 1.5);
    for (const char* d : {"A", "B", "C"}) h.ok(Action::approve, "joint", h.dept(d), 2);
    CHECK(h.state("joint") == StepState::accepted);
    CHECK(h.count(EffectKind::decision_held) == 1);
    h.ok(Action::supply, "joint", Actor::applicant(), 3, 0);
    CHECK(h.state("joint") == StepState::approved);
  }
  SECTION("late: suspended at the deadline, returned after the grace period") {
    Harness h(kWorkflow);
    h.ok(Action::submit, "s1", Actor::applicant());
    h.ok(Action::accept, "s1", h.dept("A"));
    h.ok(Action::approve, "s1", h.dept("A"));
    h.ok(Action::submit, "joint", Actor::applicant());
    h.ok(Action::accept, "joint", h.dept("B"), 1.5);  // m2 due at ceil(1.5+3) = 5
    h.advance(5.0);
    CHECK(h.state("joint") == StepState::suspended);
    CHECK_FALSE(h.rt("joint").clock_running);
    h.advance(7.0);  // grace 2: returned at 7
    CHECK(h.state("joint") == StepState::returned);
    CHECK(h.act(Action::resubmit, "joint", Actor::applicant()) == Refusal::materials_missing);
    h.ok(Action::supply, "joint", Actor::applicant(), 8, 0);
    h.ok(Action::resubmit, "joint", Actor::applicant());
    CHECK(h.state("joint") == StepState::accepted);
    CHECK(h.count_last(EffectKind::review_requested) == 3);
  }
  SECTION("supplied during suspension: review resumes with the clock") {
    Harness h(kWorkflow);
    h.ok(Action::submit, "s1", Actor::applicant());
    h.ok(Action::accept, "s1", h.dept("A"));
    h.ok(Action::approve, "s1", h.dept("A"));
    h.ok(Action::submit, "joint", Actor::applicant());
    h.ok(Action::accept, "joint", h.dept("B"), 1.5);
    h.advance(5.5);
    REQUIRE(h.state("joint") == StepState::suspended);
    h.ok(Action::supply, "joint", Actor::applicant(), 6.0, 0);
    CHECK(h.state("joint") == StepState::accepted);
    CHECK(h.rt("joint").clock_running);
    CHECK(h.rt("joint").clock_used == Approx(3.0));  // days 2, 3, 4: not the acceptance day 1
  }
}

TEST_CASE("approval on commitment: the department decides on the spot, on its own clock, then verifies",
          "[state_machine][law]") {
  Harness h(kWorkflow);
  to_joint_review(h);
  h.ok(Action::commit, "promise", Actor::applicant(), 1.5);
  // The commitment is signed: accepted on it, the department's clock runs.
  CHECK(h.state("promise") == StepState::accepted);
  CHECK(h.rt("promise").on_commitment);
  CHECK(h.rt("promise").clock_running);
  CHECK(h.rt("promise").due == 5);  // 3 days after day 2
  CHECK_FALSE(h.rt("promise").verification_pending);
  CHECK(h.act(Action::approve, "promise", h.dept("A")) == Refusal::not_reviewer);
  h.ok(Action::approve, "promise", h.dept("C"), 1.75);
  CHECK(h.state("promise") == StepState::approved);
  CHECK(h.rt("promise").verification_pending);
  CHECK(h.rt("promise").verify_due == 22);  // 20 working days after the decision's day
  CHECK(h.count_last(EffectKind::verification_open) == 1);
  for (const char* d : {"A", "B", "C"}) h.ok(Action::approve, "joint", h.dept(d), 2);
  h.ok(Action::submit, "final", Actor::applicant());
  h.ok(Action::accept, "final", h.dept("A"));
  h.ok(Action::approve, "final", h.dept("A"), 3);
  CHECK(h.st.state == InstanceState::completed);
  SECTION("verified on its last day: on time") {
    h.ok(Action::verify, "promise", h.dept("C"), 21.9);
    h.advance(23);
    CHECK_FALSE(h.rt("promise").verification_overdue);
    CHECK(h.count(EffectKind::verification_overdue) == 0);
    CHECK(h.act(Action::verify, "promise", h.dept("C")) == Refusal::nothing_pending);
  }
  SECTION("not verified by its due date: red, and still to be verified") {
    h.advance(22);
    CHECK(h.rt("promise").verification_overdue);
    CHECK(h.count(EffectKind::verification_overdue) == 1);
    h.ok(Action::verify, "promise", h.dept("C"), 23);
    CHECK_FALSE(h.rt("promise").verification_pending);
    CHECK(h.rt("promise").verification_overdue);  // the record keeps that it was late
    CHECK(h.st.state == InstanceState::completed);
  }
}

TEST_CASE("a failed verification orders rectification; revocation is the issuing department's, not its dependents'",
          "[state_machine][law]") {
  Harness h(kWorkflow);
  to_joint_review(h);
  h.ok(Action::commit, "promise", Actor::applicant(), 1.5);
  h.ok(Action::approve, "promise", h.dept("C"));
  for (const char* d : {"A", "B", "C"}) h.ok(Action::approve, "joint", h.dept(d), 2);
  h.ok(Action::submit, "final", Actor::applicant());
  h.ok(Action::accept, "final", h.dept("A"));
  h.ok(Action::approve, "final", h.dept("A"), 3);
  REQUIRE(h.st.state == InstanceState::completed);
  h.ok(Action::verify_failed, "promise", h.dept("C"), 10.5);
  CHECK(h.state("promise") == StepState::approved);  // an order to rectify, not a revocation
  CHECK(h.rt("promise").rectifying);
  CHECK(h.rt("promise").rectify_due == 31);  // rectify_within: 20 by default
  CHECK(h.count_last(EffectKind::rectification_ordered) == 1);
  CHECK(h.st.state == InstanceState::completed);
  CHECK(h.act(Action::confirm, "final", h.dept("A")) == Refusal::no_review);
  SECTION("rectified in time: the approval stands") {
    h.ok(Action::rectified, "promise", h.dept("C"), 20);
    CHECK_FALSE(h.rt("promise").rectifying);
    h.advance(40);
    CHECK(h.state("promise") == StepState::approved);
    CHECK(h.st.state == InstanceState::completed);
    CHECK(h.act(Action::rectified, "promise", h.dept("C")) == Refusal::not_rectifying);
  }
  SECTION("not rectified by the deadline: revoked; the dependent is up for its own department's review") {
    h.advance(31);
    CHECK(h.state("promise") == StepState::revoked);
    CHECK_FALSE(h.rt("promise").rectifying);
    CHECK(h.state("final") == StepState::approved);  // not revoked with it
    CHECK(h.rt("final").review_required);
    CHECK(h.state("joint") == StepState::approved);  // not a dependent
    CHECK_FALSE(h.rt("joint").review_required);
    CHECK(h.st.state == InstanceState::revoked);
    CHECK(h.count(EffectKind::review_required) == 1);
    CHECK(h.act(Action::revoke, "joint", h.dept("B")) == Refusal::not_revocable);  // neither on commitment nor flagged
    SECTION("confirmed") {
      CHECK(h.act(Action::confirm, "final", h.dept("B")) == Refusal::not_reviewer);
      h.ok(Action::confirm, "final", h.dept("A"), 32);  // after the instance closed: still its department's to do
      CHECK_FALSE(h.rt("final").review_required);
      CHECK(h.state("final") == StepState::approved);
    }
    SECTION("revoked on review") {
      h.ok(Action::revoke, "final", h.dept("A"), 32);
      CHECK(h.state("final") == StepState::revoked);
      CHECK_FALSE(h.rt("final").review_required);
    }
  }
  SECTION("a false commitment: revoked by the issuing department at once") {
    h.ok(Action::revoke, "promise", h.dept("C"), 12);
    CHECK(h.state("promise") == StepState::revoked);
    CHECK(h.rt("final").review_required);
    CHECK(h.st.state == InstanceState::revoked);
    CHECK(h.act(Action::revoke, "promise", h.dept("C")) == Refusal::not_revocable);  // already revoked
  }
}

TEST_CASE("a revoked commitment stops the steps not yet decided and flags the approved ones", "[state_machine][law]") {
  Harness h(kWorkflow);
  to_joint_review(h);
  h.ok(Action::commit, "promise", Actor::applicant(), 1.5);
  h.ok(Action::approve, "promise", h.dept("C"));
  for (const char* d : {"A", "B", "C"}) h.ok(Action::approve, "joint", h.dept(d), 2);
  h.ok(Action::submit, "final", Actor::applicant());
  h.ok(Action::accept, "final", h.dept("A"));  // under review
  h.ok(Action::revoke, "promise", h.dept("C"), 2.5);
  CHECK(h.state("final") == StepState::stopped);
  CHECK_FALSE(h.rt("final").clock_running);
  CHECK_FALSE(h.rt("final").review_required);
  CHECK(h.st.state == InstanceState::revoked);
}

TEST_CASE("excluded time stops the clock for the declared period", "[state_machine]") {
  Harness h(kWorkflow);
  to_joint_review(h);  // joint accepted at 0.5: due 11
  CHECK(h.rt("joint").due == 11);
  h.ok(Action::exclude, "joint", h.dept("B"), 2.5);  // declared 4 days: until 6.5
  CHECK(h.rt("joint").paused);
  CHECK(h.act(Action::exclude, "joint", h.dept("B")) == Refusal::already_paused);
  h.advance(6.5);
  CHECK_FALSE(h.rt("joint").paused);
  CHECK(h.rt("joint").due == 15);  // 8 days remain from 6.5
  CHECK(h.act(Action::exclude, "joint", h.dept("B")) == Refusal::no_exclusion);  // only one declared
  CHECK(h.act(Action::exclude, "joint", h.dept("B"), -1, -1, 1.0) == Refusal::no_exclusion);  // a length is no ground
  // On a ground of Art. 45, with its length.
  h.ok(Action::exclude, "joint", h.dept("B"), -1, static_cast<std::int32_t>(ExclusionGround::expert_review), 1.0);
  CHECK(h.rt("joint").ground == static_cast<std::uint8_t>(ExclusionGround::expert_review));
  h.ok(Action::resume, "joint", h.dept("B"), 7.0);
  CHECK(h.rt("joint").due == 15);  // paused only half a day: still ends at 15
}

TEST_CASE("a rejection stops the steps that depend on it", "[state_machine]") {
  Harness h(kWorkflow);
  h.ok(Action::submit, "s1", Actor::applicant());
  h.ok(Action::accept, "s1", h.dept("A"));
  h.ok(Action::reject, "s1", h.dept("A"));
  CHECK(h.state("s1") == StepState::rejected);
  for (const char* s : {"joint", "promise", "final"}) CHECK(h.state(s) == StepState::stopped);
  CHECK(h.st.state == InstanceState::rejected);
}

TEST_CASE("a submission not decided within 5 working days counts as accepted on the day it was received",
          "[state_machine]") {
  Harness h(kWorkflow);
  h.ok(Action::submit, "s1", Actor::applicant(), 0.5);
  h.advance(5.9);
  CHECK(h.state("s1") == StepState::submitted);
  h.advance(6.0);
  CHECK(h.state("s1") == StepState::accepted);
  CHECK(h.rt("s1").due == 6);  // the clock ran from the day of receipt
}

TEST_CASE("green channel is carried on every review request", "[state_machine]") {
  Harness h(kWorkflow, true);
  h.ok(Action::submit, "s1", Actor::applicant());
  h.ok(Action::accept, "s1", h.dept("A"));
  REQUIRE(h.count_last(EffectKind::review_requested) == 1);
  for (const auto& e : h.fx)
    if (e.kind == EffectKind::review_requested) CHECK(e.green);
}

TEST_CASE("a deferred deadline during an excluded period keeps the period; supply resumes only after it",
          "[state_machine]") {
  Harness h(kWorkflow);
  h.ok(Action::submit, "s1", Actor::applicant());
  h.ok(Action::accept, "s1", h.dept("A"));
  h.ok(Action::approve, "s1", h.dept("A"));
  h.ok(Action::submit, "joint", Actor::applicant());
  h.ok(Action::accept, "joint", h.dept("B"), 1.5);   // m2 due at 5
  h.ok(Action::exclude, "joint", h.dept("B"), 4.5);  // 4 declared days: until 8.5
  h.advance(5.0);
  CHECK(h.state("joint") == StepState::suspended);
  CHECK(h.rt("joint").paused);
  h.ok(Action::supply, "joint", Actor::applicant(), 6.0, 0);
  CHECK(h.state("joint") == StepState::accepted);
  CHECK_FALSE(h.rt("joint").clock_running);  // still inside the excluded period
  h.advance(8.5);
  CHECK_FALSE(h.rt("joint").paused);
  CHECK(h.rt("joint").clock_running);
  CHECK(h.rt("joint").clock_used == Approx(3.0));  // 1.5 -> 4.5 only
}

TEST_CASE("a period on a ground of Art. 45 does not use up a declared one; a length alone takes the declared one", "[state_machine]") {
  Harness h(kWorkflow);
  to_joint_review(h);
  const auto auction = static_cast<std::int32_t>(ExclusionGround::auction);
  CHECK(h.act(Action::exclude, "joint", h.dept("B"), 1.5, auction) == Refusal::bad_value);  // a ground needs a length
  h.ok(Action::exclude, "joint", h.dept("B"), 1.5, auction, 1.0);
  CHECK(h.rt("joint").ground == static_cast<std::uint8_t>(ExclusionGround::auction));
  h.advance(2.5);
  CHECK(h.rt("joint").ground == 0);
  h.ok(Action::exclude, "joint", h.dept("B"), 2.5, -1, 2.0);  // the declared period, lasting 2 days this time
  CHECK(h.rt("joint").pause_until == Approx(4.5));
  CHECK(h.rt("joint").exclusions_used == 1);
  CHECK(h.rt("joint").ground == static_cast<std::uint8_t>(ExclusionGround::declared));
}

TEST_CASE("an extension (Art. 42): once, at most 10 working days (15 jointly), before the limit passes", "[state_machine]") {
  Harness h(kWorkflow);
  to_joint_review(h);  // joint (two departments) accepted at 0.5: due 11
  CHECK(h.act(Action::extend, "joint", h.dept("B"), 1.0, -1, 16) == Refusal::extension_too_long);
  CHECK(h.act(Action::extend, "joint", h.dept("B"), 1.0, -1, 0) == Refusal::extension_too_long);
  h.ok(Action::extend, "joint", h.dept("B"), 1.0, -1, 15);
  CHECK(h.rt("joint").due == 26);
  CHECK(h.rt("joint").extended_days == 15);
  CHECK(h.act(Action::extend, "joint", h.dept("B"), 1.5, -1, 1) == Refusal::already_extended);
  // A single-department step: 10 at most; and none once red.
  Harness one(kWorkflow);
  reach(one, "accepted");
  CHECK(one.act(Action::extend, "s1", one.dept("A"), -1, -1, 11) == Refusal::extension_too_long);
  one.advance(one.rt("s1").due + 0.5);
  REQUIRE(one.rt("s1").overdue);
  CHECK(one.act(Action::extend, "s1", one.dept("A"), -1, -1, 5) == Refusal::limit_passed);
}

namespace {

// Every field of an instance's runtime, as text, to compare two machines.
std::string dump(const InstanceRuntime& st) {
  std::ostringstream o;
  o << static_cast<int>(st.state) << st.started << st.green << st.warned << st.overdue << ' ' << st.approved << ' '
    << st.started_at << ' ' << st.finished_at << '\n';
  for (const StepRuntime& r : st.steps)
    o << static_cast<int>(r.state) << r.accepted_once << r.warned << r.overdue << r.contact_pending
      << r.contact_overdue << r.ever_returned << r.paused << r.verification_pending << r.on_commitment
      << r.clock_running << ' ' << int(r.rounds) << ' ' << r.waiting << ' ' << r.review_pending << ' '
      << r.review_returned << ' ' << r.approved_by << ' ' << r.deferred_outstanding << ' ' << r.deferred_supplied
      << ' ' << r.exclusions_used << ' ' << r.clock_used << ' ' << r.clock_since << ' ' << r.due << ' ' << r.entered
      << ' ' << r.pause_until << ' ' << r.contact_due << ' ' << r.verify_due << '\n';
  return o.str();
}

bool same_effect(const Effect& a, const Effect& b) {
  return a.kind == b.kind && a.timer == b.timer && a.from == b.from && a.to == b.to && a.green == b.green &&
         a.step == b.step && a.dept == b.dept && a.slot == b.slot && a.mask == b.mask && a.at == b.at;
}

bool passes(const EffectFilter& f, const Effect& e) {
  if (!(f.kinds & EffectFilter::of(e.kind))) return false;
  if (e.kind == EffectKind::arm_timer) return (f.timers & EffectFilter::of(e.timer)) != 0;
  if (e.kind == EffectKind::step_state) return (f.states & EffectFilter::of(static_cast<StepState>(e.to))) != 0;
  return true;
}

// An effect sink of a driver's own (as the simulator passes one): records
// each effect and what the instance showed at that moment.
struct RecordingSink {
  const InstanceRuntime* st = nullptr;
  std::vector<Effect> got;
  std::vector<std::uint8_t> rounds;  // the effect's step's `rounds` when it was emitted
  std::vector<bool> green;
  void push_back(const Effect& e) {
    got.push_back(e);
    rounds.push_back(e.step < st->steps.size() ? st->steps[e.step].rounds : 0);
    green.push_back(st->green);
  }
};

}  // namespace

TEST_CASE("an effect filter leaves out exactly the effects not asked for and changes nothing else",
          "[state_machine]") {
  // Two machines on the same workflow take the same random walk of actions
  // (by the right actors, as the simulator acts) and timers: one with every
  // effect and the actor check, one filtered and trusting its actors. After
  // every call both must have refused alike, hold the same runtime, and the
  // filtered one must have built exactly the full one's effects that pass
  // the filter, in the same order.
  // A third instance follows the walk through the full machine with a sink
  // instead of a list: it must hear exactly the list's effects, nothing at
  // all on a refusal, and when it hears of a step, that step's `rounds` and
  // the instance's `green` must already be what they are after the call
  // (what StateMachine::apply promises a sink; the simulator relies on it).
  auto cw = jrtest::compile_yaml(kWorkflow);
  using F = EffectFilter;
  std::vector<EffectFilter> filters(4);
  filters[0].kinds = 0;  // nothing at all
  filters[1].kinds = F::of(EffectKind::step_state) | F::of(EffectKind::review_requested) |
                     F::of(EffectKind::notice) | F::of(EffectKind::arm_timer) | F::of(EffectKind::overdue);
  filters[1].timers = F::of(TimerKind::deferred_due) | F::of(TimerKind::grace_due) | F::of(TimerKind::overdue);
  filters[1].states = F::of(StepState::ready) | F::of(StepState::accepted) | F::of(StepState::approved);
  filters[2].kinds = ~F::of(EffectKind::arm_timer);  // every effect but timers: the timer mask is ignored
  filters[2].timers = F::of(TimerKind::warn);
  filters[3].kinds = ~F::of(EffectKind::step_state);
  filters[3].states = F::of(StepState::ready);
  const Action actions[] = {Action::submit,   Action::accept,   Action::approve, Action::return_,
                            Action::resubmit, Action::commit,   Action::supply,  Action::reject,
                            Action::withdraw, Action::verify,   Action::verify_failed, Action::contact,
                            Action::exclude,  Action::resume};
  std::size_t left_out = 0, kept = 0, refused = 0, closed = 0, completed = 0;
  for (std::size_t fi = 0; fi < filters.size(); ++fi) {
    for (unsigned seed = 1; seed <= 40; ++seed) {
      INFO("filter " << fi << " seed " << seed);
      StateMachine full(cw), lean(cw, MachineProfile{filters[fi], true});
      CHECK(lean.trusted_actors());
      CHECK_FALSE(full.trusted_actors());
      InstanceRuntime a, b, c;
      full.reset(a, seed % 2 == 0);
      lean.reset(b, seed % 2 == 0);
      full.reset(c, seed % 2 == 0);
      RecordingSink sink;
      sink.st = &c;
      std::vector<Effect> fa, fb, timers;
      double now = 0.5;
      std::mt19937 rng(seed);
      auto compare = [&](Refusal ra, Refusal rb) {
        REQUIRE(ra == rb);
        if (ra != Refusal::none) ++refused;
        REQUIRE(dump(a) == dump(b));
        std::size_t j = 0;
        for (const Effect& e : fa) {
          if (e.kind == EffectKind::arm_timer) timers.push_back(e);
          if (!passes(lean.filter(), e)) {
            ++left_out;
            continue;
          }
          REQUIRE(j < fb.size());
          CHECK(same_effect(e, fb[j]));
          ++j;
          ++kept;
        }
        CHECK(j == fb.size());
      };
      auto both = [&](const Event& e) {
        fa.clear();
        fb.clear();
        sink.got.clear();
        sink.rounds.clear();
        sink.green.clear();
        const Refusal ra = full.apply(a, e, fa), rb = lean.apply(b, e, fb);
        const Refusal rc = full.apply(c, e, sink);
        REQUIRE(rc == ra);
        if (rc != Refusal::none) REQUIRE(sink.got.empty());
        REQUIRE(sink.got.size() == fa.size());
        for (std::size_t i = 0; i < fa.size(); ++i) {
          CHECK(same_effect(sink.got[i], fa[i]));
          if (fa[i].step < c.steps.size()) CHECK(sink.rounds[i] == c.steps[fa[i].step].rounds);
          CHECK(sink.green[i] == c.green);
        }
        REQUIRE(dump(c) == dump(a));
        compare(ra, rb);
      };
      Event start;
      start.action = Action::start;
      start.at = now;
      both(start);
      for (int move = 0; move < 400 && a.state == InstanceState::running; ++move) {
        if (rng() % 4 == 0) {
          // Time passes: fire the timers due by then, in time order.
          now += std::uniform_real_distribution<double>(0, 3)(rng);
          for (;;) {
            auto it = std::min_element(timers.begin(), timers.end(),
                                       [](const Effect& x, const Effect& y) { return x.at < y.at; });
            if (it == timers.end() || it->at > now) break;
            Event t;
            t.action = Action::timer;
            t.timer = it->timer;
            t.step = it->step;
            t.slot = it->slot;
            t.at = std::max(it->at, 0.0);
            timers.erase(it);
            both(t);
          }
          continue;
        }
        Event e;
        e.step = static_cast<std::uint32_t>(rng() % cw->n_steps);
        e.action = actions[rng() % std::size(actions)];
        if (rng() % 3) {
          // Mostly what moves the step on, so that walks get far.
          switch (a.steps[e.step].state) {
            case StepState::ready: e.action = rng() % 2 ? Action::submit : Action::commit; break;
            case StepState::submitted: e.action = Action::accept; break;
            case StepState::accepted: e.action = rng() % 4 ? Action::approve : Action::return_; break;
            case StepState::returned: e.action = Action::resubmit; break;
            case StepState::suspended: e.action = Action::supply; break;
            default: break;
          }
        }
        e.at = now;
        switch (e.action) {
          case Action::submit: case Action::resubmit: case Action::commit: case Action::supply:
          case Action::withdraw:
            e.actor = Actor::applicant();
            break;
          case Action::accept: e.actor = Actor::department(cw->lead(e.step)); break;
          default:
            e.actor = Actor::department(cw->dept_of(e.step, static_cast<std::uint32_t>(rng() % cw->dept_count(e.step))));
        }
        if (e.action == Action::supply) e.slot = static_cast<std::int32_t>(rng() % 2);
        if (e.action == Action::exclude && rng() % 2) e.value = 1.5;
        // Rejecting, withdrawing and a failed verification end the walk: keep them rare.
        if ((e.action == Action::reject || e.action == Action::withdraw || e.action == Action::verify_failed) &&
            rng() % 20)
          continue;
        both(e);
      }
      if (a.state != InstanceState::running) ++closed;
      if (a.state == InstanceState::completed) ++completed;
    }
  }
  // The walks reach far enough to test something.
  CHECK(closed > 40);
  CHECK(completed > 40);
  CHECK(left_out > 1000);
  CHECK(kept > 1000);
  CHECK(refused > 1000);
}

TEST_CASE("every refusal has its own message, never the bare fallback", "[state_machine][law]") {
  Harness h(kWorkflow);
  const auto last = static_cast<int>(Refusal::no_review);
  std::set<std::string> seen;
  for (int k = 1; k <= last; ++k) {
    const auto r = static_cast<Refusal>(k);
    for (Action a : {Action::submit, Action::approve, Action::exclude, Action::extend, Action::verify, Action::revoke,
                     Action::contact, Action::supply}) {
      Event e;
      e.action = a;
      e.step = h.step("joint");
      e.actor = h.dept("B");
      const std::string why = h.m.explain(h.st, e, r);
      INFO("refusal " << k << " action " << to_string(a));
      CHECK(!why.empty());
      CHECK(why != "refused");
      seen.insert(why);
    }
  }
  CHECK(seen.size() >= static_cast<std::size_t>(last));  // at least one distinct message per refusal
}
