// Unit tests of the loader API: the model load_workflow_string and
// load_workflow_file build, and how diagnostics and options behave.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include "jointreview/loader.h"

namespace fs = std::filesystem;
using namespace jointreview;

namespace {

// A fresh folder under the system temp dir, removed at the end of the test.
struct TempDir {
  fs::path path;
  TempDir() {
    static int counter = 0;
    path = fs::temp_directory_path() /
           ("jr_loader_test_" + std::to_string(::getpid()) + "_" + std::to_string(++counter));
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::string write(const std::string& name, const std::string& text) const {
    fs::path p = path / name;
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << text;
    return p.string();
  }
};

std::string all_messages(const LoadResult& r) {
  std::string out;
  for (const auto& d : r.diagnostics) out += d.str() + "\n";
  return out;
}

const Dependency* find_dep(const Workflow& wf, const std::string& from, const std::string& to) {
  long f = wf.find_step(from), t = wf.find_step(to);
  for (const auto& d : wf.dependencies)
    if (static_cast<long>(d.from) == f && static_cast<long>(d.to) == t) return &d;
  return nullptr;
}

const char* const kFourSteps = R"(workflow: demo
title: 工程建设项目并联审批
time_limit: 30
warn_before: 2
contact_within: 0.5
departments:
  住建局: {capacity: 3}
  生态环境局: {}
steps:
  - id: filing
    name: 项目备案
    department: 发改委
    days: 1
    needs: [项目申请书]
    produces: [项目备案证明]
  - id: site
    department: 自然资源局
    days: 5
    statutory_days: 20
    needs: [项目备案证明, 用地申请]
    produces: [选址意见书]
  - id: eia
    department: 生态环境局
    days: 10
    after: [filing]
    needs: [环评报告书]
    produces: [环评批复]
  - id: joint
    departments: [发改委, 自然资源局, 住建局, 生态环境局]
    lead: 住建局
    days: 8
    needs: [选址意见书, 环评批复, 施工图]
    produces: [联合审查意见]
)";

}  // namespace

TEST_CASE("a valid workflow loads with no diagnostics and keeps the top-level settings", "[loader]") {
  auto r = load_workflow_string(kFourSteps, "demo.yaml");
  INFO(all_messages(r));
  REQUIRE(r.ok());
  CHECK(r.diagnostics.empty());
  const Workflow& wf = *r.workflow;
  CHECK(wf.id == "demo");
  CHECK(wf.title == "工程建设项目并联审批");
  CHECK(wf.calendar == "cn");
  REQUIRE(wf.time_limit);
  CHECK(*wf.time_limit == 30);
  CHECK(wf.warn_before == 2);
  CHECK(wf.contact_within == 0.5);
  CHECK(wf.priority == "normal");
  CHECK(wf.file == "demo.yaml");
  CHECK_FALSE(wf.is_package());
  REQUIRE(wf.steps.size() == 4);
  CHECK(wf.steps[0].id == "filing");
  CHECK(wf.steps[0].name == "项目备案");
  CHECK(wf.steps[1].name == "site");  // name defaults to the id
  CHECK(wf.steps[1].days == 5);
  REQUIRE(wf.steps[1].statutory_days);
  CHECK(*wf.steps[1].statutory_days == 20);
  CHECK_FALSE(wf.steps[0].statutory_days);
  CHECK(wf.steps[3].pos.line == 28);
  CHECK(wf.steps[3].id_pos.line == 28);
  CHECK(wf.steps[3].id_pos.column == 9);
  CHECK(wf.steps[3].id_pos.file == "demo.yaml");
}

TEST_CASE("departments: declared ones first with their capacity, then those implied by steps", "[loader]") {
  auto r = load_workflow_string(kFourSteps, "demo.yaml");
  REQUIRE(r.ok());
  const Workflow& wf = *r.workflow;
  std::vector<std::string> names;
  for (const auto& d : wf.departments) names.push_back(d.name);
  CHECK(names == std::vector<std::string>{"住建局", "生态环境局", "发改委", "自然资源局"});
  CHECK(wf.departments[0].capacity == 3);
  CHECK(wf.departments[0].pos.line == 7);
  CHECK(wf.departments[1].capacity == 0);  // declared without a limit
  CHECK(wf.departments[2].capacity == 0);  // implied: no limit
  CHECK(wf.find_department("发改委") == 2);
  CHECK(wf.find_department("公安局") == -1);
}

TEST_CASE("joint review: several departments, lead given or defaulting to the first", "[loader]") {
  auto r = load_workflow_string(kFourSteps, "demo.yaml");
  REQUIRE(r.ok());
  const Step& joint = r.workflow->steps[3];
  CHECK(joint.joint());
  CHECK(joint.departments == std::vector<std::string>{"发改委", "自然资源局", "住建局", "生态环境局"});
  CHECK(joint.lead == "住建局");
  const Step& filing = r.workflow->steps[0];
  CHECK_FALSE(filing.joint());
  CHECK(filing.lead == "发改委");

  auto r2 = load_workflow_string(R"(workflow: j
steps:
  - id: review
    departments: [自然资源局, 住建局]
    days: 3
    produces: [意见]
)",
                                 "j.yaml");
  INFO(all_messages(r2));
  REQUIRE(r2.ok());
  CHECK(r2.workflow->steps[0].lead == "自然资源局");
}

TEST_CASE("dependencies come from 'after' and from material flow, with their kind", "[loader]") {
  auto r = load_workflow_string(kFourSteps, "demo.yaml");
  REQUIRE(r.ok());
  const Workflow& wf = *r.workflow;
  CHECK(wf.dependencies.size() == 4);

  const Dependency* d = find_dep(wf, "filing", "site");
  REQUIRE(d);
  CHECK(d->kind == Dependency::Kind::material);
  CHECK(d->material == "项目备案证明");
  CHECK(d->pos.line == 20);  // the 'needs' entry of site
  CHECK(d->pos.column == 13);

  d = find_dep(wf, "filing", "eia");
  REQUIRE(d);
  CHECK(d->kind == Dependency::Kind::after);
  CHECK(d->material.empty());
  CHECK(d->pos.line == 25);
  CHECK(d->pos.column == 13);

  d = find_dep(wf, "site", "joint");
  REQUIRE(d);
  CHECK(d->kind == Dependency::Kind::material);
  CHECK(d->material == "选址意见书");
  d = find_dep(wf, "eia", "joint");
  REQUIRE(d);
  CHECK(d->material == "环评批复");
  CHECK(find_dep(wf, "filing", "joint") == nullptr);  // not direct
  CHECK(find_dep(wf, "site", "filing") == nullptr);
}

TEST_CASE("materials that no step produces are the applicant's, each listed once", "[loader]") {
  auto r = load_workflow_string(kFourSteps, "demo.yaml");
  REQUIRE(r.ok());
  CHECK(r.workflow->applicant_materials ==
        std::vector<std::string>{"项目申请书", "用地申请", "环评报告书", "施工图"});
}

TEST_CASE("durations: fixed numbers and every distribution with its parameters", "[loader]") {
  auto r = load_workflow_string(R"(workflow: dists
steps:
  - {id: a, department: D, days: 2, produces: [A], duration: 3}
  - {id: b, department: D, days: 2, produces: [B], duration: {dist: exponential, mean: 4}}
  - {id: c, department: D, days: 2, produces: [C], duration: {dist: triangular, min: 1, mode: 2, max: 6}}
  - {id: d, department: D, days: 2, produces: [E], duration: {dist: pert, min: 1, mode: 3, max: 11}}
  - {id: e, department: D, days: 2, produces: [F], duration: {dist: uniform, min: 2, max: 4}}
  - {id: f, department: D, days: 2, produces: [G], duration: {dist: lognormal, mean: 5, sd: 1.5}}
  - {id: g, department: D, days: 7, produces: [H]}
  - {id: h, department: D, days: 2, produces: [I], duration: {dist: fixed, value: 2.5}}
)",
                                "dists.yaml");
  INFO(all_messages(r));
  REQUIRE(r.ok());
  const auto& s = r.workflow->steps;
  REQUIRE(s.size() == 8);
  using K = Distribution::Kind;
  REQUIRE(s[0].duration);
  CHECK(s[0].duration->kind == K::fixed);
  CHECK(s[0].duration->value == 3);
  CHECK(s[1].duration->kind == K::exponential);
  CHECK(s[1].duration->mean == 4);
  CHECK(s[2].duration->kind == K::triangular);
  CHECK(s[2].duration->min == 1);
  CHECK(s[2].duration->mode == 2);
  CHECK(s[2].duration->max == 6);
  CHECK(s[2].duration->expected() == Approx(3.0));
  CHECK(s[3].duration->kind == K::pert);
  CHECK(s[3].duration->expected() == Approx((1 + 12 + 11) / 6.0));
  CHECK(s[4].duration->kind == K::uniform);
  CHECK(s[4].duration->min == 2);
  CHECK(s[4].duration->max == 4);
  CHECK(s[5].duration->kind == K::lognormal);
  CHECK(s[5].duration->mean == 5);
  CHECK(s[5].duration->sd == 1.5);
  CHECK_FALSE(s[6].duration);
  CHECK(s[6].effective_duration().kind == K::fixed);
  CHECK(s[6].effective_duration().value == 7);
  CHECK(s[7].duration->kind == K::fixed);
  CHECK(s[7].duration->value == 2.5);
  CHECK(std::string(to_string(K::pert)) == "pert");
}

TEST_CASE("deferred, commitment, excluded and correction values", "[loader]") {
  auto r = load_workflow_string(R"(workflow: options
steps:
  - id: permit
    department: 住建局
    days: 5
    needs: [施工图审查合格书, 施工合同]
    deferred:
      - {material: 施工合同, within: 10, grace: 3, late_probability: 0.2}
    commitment: {verify_after: 20, fail_probability: 0.05}
    excluded:
      - {reason: 专家评审, days: 5}
      - {reason: 听证, days: {dist: uniform, min: 5, max: 15}}
    correction: {probability: 0.3, turnaround: {dist: exponential, mean: 4}, max_rounds: 2}
    produces: [施工许可证]
  - id: plain
    department: 住建局
    days: 1
    needs: [施工许可证]
    correction: {probability: 0.1}
    produces: [竣工备案]
)",
                                "options.yaml");
  INFO(all_messages(r));
  REQUIRE(r.ok());
  const Step& s = r.workflow->steps[0];
  REQUIRE(s.deferred.size() == 1);
  CHECK(s.deferred[0].material == "施工合同");
  CHECK(s.deferred[0].within == 10);
  CHECK(s.deferred[0].grace == 3);
  CHECK(s.deferred[0].late_probability == 0.2);
  CHECK(s.deferred[0].pos.line == 8);
  CHECK(s.commitment.enabled);
  CHECK(s.commitment.verify_after == 20);
  CHECK(s.commitment.fail_probability == 0.05);
  REQUIRE(s.excluded.size() == 2);
  CHECK(s.excluded[0].reason == "专家评审");
  CHECK(s.excluded[0].days.kind == Distribution::Kind::fixed);
  CHECK(s.excluded[0].days.value == 5);
  CHECK(s.excluded[1].reason == "听证");
  CHECK(s.excluded[1].days.kind == Distribution::Kind::uniform);
  CHECK(s.excluded[1].days.max == 15);
  CHECK(s.correction.probability == 0.3);
  CHECK(s.correction.turnaround.kind == Distribution::Kind::exponential);
  CHECK(s.correction.turnaround.mean == 4);
  CHECK(s.correction.max_rounds == 2);

  const Step& p = r.workflow->steps[1];
  CHECK_FALSE(p.commitment.enabled);
  CHECK(p.deferred.empty());
  CHECK(p.excluded.empty());
  CHECK(p.correction.probability == 0.1);
  CHECK(p.correction.turnaround.kind == Distribution::Kind::fixed);  // default turnaround
  CHECK(p.correction.turnaround.value == 5);
  CHECK(p.correction.max_rounds == 3);
}

TEST_CASE("windows: the lead department's by default, the workflow's when given", "[loader]") {
  auto r = load_workflow_string(kFourSteps, "demo.yaml");
  REQUIRE(r.ok());
  CHECK(r.workflow->steps[0].window == "发改委");
  CHECK(r.workflow->steps[3].window == "住建局");

  auto r2 = load_workflow_string(R"(workflow: w
window: 政务服务中心
steps:
  - {id: a, department: 发改委, days: 1, produces: [X]}
  - {id: b, department: 住建局, days: 1, needs: [X], produces: [Y], window: 住建局窗口}
)",
                                 "w.yaml");
  INFO(all_messages(r2));
  REQUIRE(r2.ok());
  CHECK(r2.workflow->steps[0].window == "政务服务中心");
  CHECK(r2.workflow->steps[1].window == "住建局窗口");
}

TEST_CASE("a package merges its items: origins, one window, departments and materials", "[loader]") {
  TempDir dir;
  dir.write("items/registration.yaml", R"(workflow: registration
departments:
  市场监管局: {capacity: 4}
steps:
  - id: change
    department: 市场监管局
    days: 1
    needs: [变更申请书]
    produces: [营业执照]
)");
  dir.write("items/seal.yaml", R"(workflow: seal
steps:
  - id: seal
    department: 公安局
    days: 1
    needs: [营业执照, 变更申请书]
    produces: [印章备案回执]
)");
  const std::string pkg = dir.write("package.yaml", R"(workflow: company-change
title: 企业变更一件事
includes: [items/registration.yaml, items/seal.yaml]
steps:
  - id: tax
    department: 税务局
    days: 1
    needs: [营业执照]
    produces: [税务变更回执]
)");
  auto r = load_workflow_file(pkg);
  INFO(all_messages(r));
  REQUIRE(r.ok());
  const Workflow& wf = *r.workflow;
  CHECK(wf.is_package());
  REQUIRE(wf.includes.size() == 2);
  CHECK(fs::path(wf.includes[0]).filename() == "registration.yaml");
  REQUIRE(wf.steps.size() == 3);
  CHECK(wf.steps[0].id == "change");
  CHECK(wf.steps[0].origin == "registration");
  CHECK(fs::path(wf.steps[0].id_pos.file).filename() == "registration.yaml");
  CHECK(wf.steps[1].origin == "seal");
  CHECK(wf.steps[2].origin == "company-change");
  // One window for the whole package: the applicant goes to one place.
  for (const auto& s : wf.steps) CHECK(s.window == "company-change");
  // Departments of the items are kept with their capacity.
  REQUIRE(wf.find_department("市场监管局") >= 0);
  CHECK(wf.departments[static_cast<std::size_t>(wf.find_department("市场监管局"))].capacity == 4);
  CHECK(wf.find_department("税务局") >= 0);
  // One set of materials: the applicant supplies 变更申请书 once.
  CHECK(wf.applicant_materials == std::vector<std::string>{"变更申请书"});
  // Material flow across items.
  const Dependency* d = find_dep(wf, "change", "seal");
  REQUIRE(d);
  CHECK(d->kind == Dependency::Kind::material);
  REQUIRE(find_dep(wf, "change", "tax"));

  auto r2 = load_workflow_string(R"(workflow: pkg2
window: 一窗受理
includes: [items/registration.yaml]
)",
                                 (dir.path / "pkg2.yaml").string());
  INFO(all_messages(r2));
  REQUIRE(r2.ok());
  CHECK(r2.workflow->steps[0].window == "一窗受理");
}

TEST_CASE("errors give no workflow; messages are sorted and carry positions", "[loader]") {
  auto r = load_workflow_string(R"(workflow: bad
steps:
  - id: a
    department: D
    days: x
    produces: [A]
  - id: b
    department: D
    days: -1
    after: [c]
)",
                                "bad.yaml");
  CHECK_FALSE(r.ok());
  REQUIRE(r.diagnostics.size() == 3);
  CHECK(has_errors(r.diagnostics));
  CHECK(r.diagnostics[0].pos.line == 5);
  CHECK(r.diagnostics[1].pos.line == 9);
  CHECK(r.diagnostics[2].pos.line == 10);
  CHECK(r.diagnostics[2].str() ==
        "bad.yaml:10:13: error: step 'b' comes after unknown step 'c'; the step ids are 'a' and 'b'");
}

TEST_CASE("warnings do not prevent loading, and warnings=false silences them", "[loader]") {
  const char* text = R"(workflow: warned
departments:
  人防办: {}
steps:
  - id: a
    department: D
    days: 5
    statutory_days: 3
    produces: [A]
  - id: b
    department: D
    days: 1
    needs: [A, A]
    after: [a]
)";
  auto r = load_workflow_string(text, "warned.yaml");
  INFO(all_messages(r));
  REQUIRE(r.ok());
  CHECK_FALSE(has_errors(r.diagnostics));
  // idle department, statutory below days, 'A' listed twice, redundant after, dead end b
  CHECK(r.diagnostics.size() == 5);
  for (const auto& d : r.diagnostics) CHECK(d.severity == Diagnostic::Severity::warning);

  LoadOptions quiet;
  quiet.warnings = false;
  auto q = load_workflow_string(text, "warned.yaml", quiet);
  INFO(all_messages(q));
  REQUIRE(q.ok());
  CHECK(q.diagnostics.empty());
  CHECK(q.workflow->steps.size() == 2);
}

TEST_CASE("bad input never throws: missing files, invalid UTF-8, absurd nesting", "[loader]") {
  auto missing = load_workflow_file("/nonexistent/dir/workflow.yaml");
  CHECK_FALSE(missing.ok());
  REQUIRE(missing.diagnostics.size() == 1);
  CHECK(missing.diagnostics[0].message.find("cannot read the file") == 0);

  auto gbk = load_workflow_string("workflow: x\ntitle: \xb9\xa4\xb3\xcc\n", "gbk.yaml");
  CHECK_FALSE(gbk.ok());
  REQUIRE(gbk.diagnostics.size() == 1);
  CHECK(gbk.diagnostics[0].pos.line == 2);
  CHECK(gbk.diagnostics[0].pos.column == 8);

  std::string deep = "workflow: x\nsteps: " + std::string(200000, '{');
  LoadResult r;
  REQUIRE_NOTHROW(r = load_workflow_string(deep, "deep.yaml"));
  CHECK_FALSE(r.ok());
  REQUIRE(r.diagnostics.size() == 1);
  CHECK(r.diagnostics[0].message.find("nests too deeply") != std::string::npos);

  auto no_id = load_workflow_string("workflow: x\nsteps:\n  - {department: D, days: 1}\n", "noid.yaml");
  CHECK_FALSE(no_id.ok());
  REQUIRE(no_id.diagnostics.size() == 1);
  CHECK(no_id.diagnostics[0].message == "step has no 'id'");
}

TEST_CASE("a BOM does not shift columns; columns count characters, not bytes", "[loader]") {
  auto r = load_workflow_string("\xEF\xBB\xBFworkflow: a b\nsteps:\n  - {id: s, name: 项目备案, department: D, days: z}\n",
                                "bom.yaml");
  REQUIRE(r.diagnostics.size() == 2);
  CHECK(r.diagnostics[0].pos.line == 1);
  CHECK(r.diagnostics[0].pos.column == 11);
  CHECK(r.diagnostics[1].pos.line == 3);
  CHECK(r.diagnostics[1].pos.column == 46);
}

TEST_CASE("a large generated workflow loads in one piece", "[loader][large]") {
  constexpr int n = 5000;
  std::mt19937 rng(20240601);
  std::string text = "workflow: large\nsteps:\n";
  std::size_t random_edges = 0;
  for (int i = 0; i < n; ++i) {
    text += "  - id: s" + std::to_string(i) + "\n    department: dept" + std::to_string(i % 37) +
            "\n    days: " + std::to_string(1 + i % 5) + "\n    produces: [doc" + std::to_string(i) + "]\n";
    if (i > 0) {
      text += "    needs: [doc" + std::to_string(i - 1) + "]\n";
      // A few random earlier steps through 'after' (backwards only: no cycles).
      std::vector<int> extra;
      for (int k = 0; k < 2 && i > 2; ++k) {
        int j = std::uniform_int_distribution<int>(0, i - 2)(rng);
        if (std::find(extra.begin(), extra.end(), j) == extra.end()) extra.push_back(j);
      }
      if (!extra.empty()) {
        text += "    after: [";
        for (std::size_t k = 0; k < extra.size(); ++k) text += (k ? ", s" : "s") + std::to_string(extra[k]);
        text += "]\n";
        random_edges += extra.size();
      }
    }
  }
  LoadOptions quiet;
  quiet.warnings = false;  // every random 'after' is implied by the chain
  auto r = load_workflow_string(text, "large.yaml", quiet);
  INFO(all_messages(r).substr(0, 2000));
  REQUIRE(r.ok());
  CHECK(r.diagnostics.empty());
  CHECK(r.workflow->steps.size() == n);
  CHECK(r.workflow->dependencies.size() == (n - 1) + random_edges);
  CHECK(r.workflow->departments.size() == 37);
  CHECK(r.workflow->steps[n - 1].id_pos.line > 4 * n);

  // With warnings on, each random 'after' is reported as implied by the chain.
  auto loud = load_workflow_string(text, "large.yaml");
  REQUIRE(loud.ok());
  CHECK(loud.diagnostics.size() == random_edges);
}
