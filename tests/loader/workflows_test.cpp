// The bundled workflows in workflows/: every file loads without a single
// diagnostic, and each one shows what it is there to show (a reform that
// really has fewer steps, materials, trips and days than its legacy version;
// a package that merges its items; a joint review of four departments).
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "jointreview/loader.h"

namespace fs = std::filesystem;
using jointreview::Workflow;

namespace {

const fs::path kWorkflows = fs::path(JR_SOURCE_DIR) / "workflows";

// Loads a bundled workflow and fails the test with every diagnostic shown
// if there is any, warnings included.
Workflow load_clean(const fs::path& path) {
  auto r = jointreview::load_workflow_file(path.string());
  std::string all;
  for (const auto& d : r.diagnostics) all += d.str() + "\n";
  INFO(path.string() << "\n" << all);
  REQUIRE(r.diagnostics.empty());
  REQUIRE(r.ok());
  return *r.workflow;
}

Workflow load_bundled(const std::string& name) { return load_clean(kWorkflows / name); }

std::vector<fs::path> yaml_files_in(const fs::path& dir) {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.is_regular_file() && e.path().extension() == ".yaml") out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

// Longest chain of promised `days` through the derived dependencies.
double critical_chain_days(const Workflow& wf) {
  const std::size_t n = wf.steps.size();
  std::vector<std::vector<std::size_t>> preds(n);
  for (const auto& d : wf.dependencies) preds[d.to].push_back(d.from);
  std::vector<double> finish(n, -1);
  // Simple relaxation to a fixed point; the graphs here are small and acyclic.
  bool changed = true;
  for (std::size_t round = 0; changed && round <= n; ++round) {
    changed = false;
    for (std::size_t i = 0; i < n; ++i) {
      double start = 0;
      for (std::size_t p : preds[i]) start = std::max(start, finish[p] < 0 ? 0 : finish[p]);
      double f = start + wf.steps[i].days;
      if (f != finish[i]) {
        finish[i] = f;
        changed = true;
      }
    }
  }
  return n == 0 ? 0 : *std::max_element(finish.begin(), finish.end());
}

double sum_of_days(const Workflow& wf) {
  double s = 0;
  for (const auto& st : wf.steps) s += st.days;
  return s;
}

// Applicant trips without corrections: one per distinct window among the
// steps that are not submitted online.
std::size_t trips(const Workflow& wf) {
  std::set<std::string> windows;
  for (const auto& s : wf.steps)
    if (!s.online) windows.insert(s.window);
  return windows.size();
}

// Materials handed in, counted per step: what each office asks the applicant for.
std::size_t material_submissions(const Workflow& wf) {
  std::set<std::string> applicant(wf.applicant_materials.begin(), wf.applicant_materials.end());
  std::size_t n = 0;
  for (const auto& s : wf.steps)
    for (const auto& m : s.needs) n += applicant.count(m);
  return n;
}

const jointreview::Step& step(const Workflow& wf, const std::string& id) {
  long i = wf.find_step(id);
  INFO("step " << id << " in " << wf.id);
  REQUIRE(i >= 0);
  return wf.steps[static_cast<std::size_t>(i)];
}

bool produced_by_some_step(const Workflow& wf, const std::string& doc) {
  for (const auto& s : wf.steps)
    if (std::find(s.produces.begin(), s.produces.end(), doc) != s.produces.end()) return true;
  return false;
}

}  // namespace

TEST_CASE("every bundled workflow loads with no errors and no warnings", "[workflows]") {
  auto files = yaml_files_in(kWorkflows);
  auto items = yaml_files_in(kWorkflows / "items");
  files.insert(files.end(), items.begin(), items.end());
  std::set<std::string> names;
  for (const auto& f : files) names.insert(f.lexically_relative(kWorkflows).generic_string());
  for (const char* expected : {"four-certificates.yaml", "four-certificates-legacy.yaml", "company-change.yaml",
                               "company-change-legacy.yaml", "key-project-review.yaml"}) {
    INFO(expected);
    CHECK(names.count(expected) == 1);
  }
  CHECK(items.size() >= 5);
  for (const auto& f : files) {
    DYNAMIC_SECTION(f.lexically_relative(kWorkflows).generic_string()) {
      Workflow wf = load_clean(f);
      CHECK(f.stem().string() == wf.id);  // file named after its workflow id
      CHECK_FALSE(wf.title.empty());
      for (const auto& s : wf.steps) {
        INFO(wf.id << ": step " << s.id);
        CHECK(s.name != s.id);  // every step has its Chinese name
        CHECK_FALSE(s.produces.empty());
      }
    }
  }
}

TEST_CASE("four-certificates: the reformed procedure issues the four certificates", "[workflows]") {
  Workflow wf = load_bundled("four-certificates.yaml");
  CHECK(wf.id == "four-certificates");
  for (const char* cert : {"不动产权证书", "建设用地规划许可证", "建设工程规划许可证", "建筑工程施工许可证"}) {
    INFO(cert);
    CHECK(produced_by_some_step(wf, cert));
  }
  // Dependencies come from material flow only: no `after` anywhere.
  for (const auto& d : wf.dependencies) CHECK(d.kind == jointreview::Dependency::Kind::material);
  CHECK(wf.dependencies.size() >= 12);

  REQUIRE(wf.time_limit.has_value());
  CHECK(*wf.time_limit == 40);
  CHECK(critical_chain_days(wf) == 22);
  CHECK(sum_of_days(wf) > *wf.time_limit);  // only parallel running fits the promise

  CHECK(wf.window == "工程建设项目审批综合窗口");
  CHECK(step(wf, "filing").online);
  CHECK(step(wf, "property_registration").window == "不动产登记一窗受理窗口");
  CHECK(step(wf, "site_selection").window == wf.window);
  CHECK(trips(wf) == 2);

  // Reference limits from the reports and the law.
  CHECK(step(wf, "site_selection").days == 5);
  CHECK(step(wf, "site_selection").statutory_days == 20);
  CHECK(step(wf, "engineering_permit").days == 2);
  CHECK(step(wf, "engineering_permit").statutory_days == 20);
  CHECK(step(wf, "construction_permit").statutory_days == 7);
  CHECK(step(wf, "property_registration").statutory_days == 30);

  const auto& scheme = step(wf, "scheme_review");
  CHECK(scheme.joint());
  CHECK(scheme.lead == "自然资源局");
  const auto& drawings = step(wf, "joint_drawing_review");
  CHECK(drawings.joint());
  CHECK(drawings.lead == "住房城乡建设局");
  CHECK(std::find(drawings.departments.begin(), drawings.departments.end(), "人防办") != drawings.departments.end());

  const auto& permit = step(wf, "construction_permit");
  REQUIRE(permit.deferred.size() == 1);
  CHECK(permit.deferred[0].material == "监理合同");
  CHECK(permit.deferred[0].within == 10);
  CHECK(step(wf, "soil_conservation").commitment.enabled);
  CHECK(step(wf, "soil_conservation").commitment.verify_after == 20);
  REQUIRE(step(wf, "land_transfer").excluded.size() == 1);
  CHECK(step(wf, "land_transfer").excluded[0].days.value == 30);
  CHECK(step(wf, "eia").excluded.at(0).days.kind == jointreview::Distribution::Kind::triangular);

  for (const auto& d : wf.departments) {
    INFO(d.name);
    CHECK(d.capacity > 0);
  }
  std::size_t with_duration = 0, with_correction = 0;
  for (const auto& s : wf.steps) {
    with_duration += s.duration.has_value();
    with_correction += s.correction.probability > 0;
  }
  CHECK(with_duration == wf.steps.size());
  CHECK(with_correction >= wf.steps.size() / 2);
}

TEST_CASE("four-certificates: the reform has fewer steps, materials, trips and days than the legacy", "[workflows]") {
  Workflow now = load_bundled("four-certificates.yaml");
  Workflow old = load_bundled("four-certificates-legacy.yaml");
  CHECK(old.window.empty());  // every office its own window
  CHECK_FALSE(old.time_limit.has_value());

  CHECK(now.steps.size() < old.steps.size());
  CHECK(now.applicant_materials.size() < old.applicant_materials.size());
  CHECK(material_submissions(now) * 2 < material_submissions(old));
  CHECK(trips(now) * 5 <= trips(old));
  CHECK(trips(old) == old.departments.size());

  // The legacy procedure is one serial chain: its longest chain is the sum.
  CHECK(critical_chain_days(old) == sum_of_days(old));
  CHECK(critical_chain_days(old) == 238);
  CHECK(critical_chain_days(now) * 10 < critical_chain_days(old));

  // The legacy order is written with `after` where no document forces it.
  std::size_t afters = 0;
  for (const auto& d : old.dependencies) afters += d.kind == jointreview::Dependency::Kind::after;
  CHECK(afters >= 8);
}

TEST_CASE("company-change: the package merges its items into one window and one set of materials", "[workflows]") {
  Workflow pkg = load_bundled("company-change.yaml");
  REQUIRE(pkg.is_package());
  CHECK(pkg.includes.size() == 7);

  // The package's steps are exactly its items' steps, each tagged with its origin.
  std::set<std::string> item_steps, item_materials, item_ids;
  for (const auto& inc : pkg.includes) {
    Workflow item = load_clean(inc);
    item_ids.insert(item.id);
    for (const auto& s : item.steps) {
      item_steps.insert(s.id);
      const auto& merged = step(pkg, s.id);
      CHECK(merged.origin == item.id);
      CHECK(merged.needs == s.needs);
    }
    item_materials.insert(item.applicant_materials.begin(), item.applicant_materials.end());
  }
  CHECK(item_ids.size() == 7);
  std::set<std::string> pkg_steps;
  for (const auto& s : pkg.steps) pkg_steps.insert(s.id);
  CHECK(pkg_steps == item_steps);

  // One set of materials: shared materials counted once, and what one item
  // issues (the new licence, the new seal) is no longer asked of the applicant.
  std::set<std::string> pkg_materials(pkg.applicant_materials.begin(), pkg.applicant_materials.end());
  CHECK(pkg_materials.size() == pkg.applicant_materials.size());
  CHECK(pkg_materials.count("变更后营业执照") == 0);
  CHECK(item_materials.count("变更后营业执照") == 1);
  CHECK(pkg_materials.size() < item_materials.size());
  for (const auto& m : pkg_materials) CHECK(item_materials.count(m) == 1);

  // One window for all steps, the package's.
  for (const auto& s : pkg.steps) CHECK(s.window == "企业变更一件事综合窗口");
  CHECK(trips(pkg) == 1);

  // The licence comes first; the bank waits for the licence and the new seal.
  const auto li = static_cast<std::size_t>(pkg.find_step("licence_change"));
  std::size_t from_licence = 0;
  for (const auto& d : pkg.dependencies) from_licence += d.from == li;
  CHECK(from_licence == 6);
  REQUIRE(pkg.time_limit.has_value());
  CHECK(critical_chain_days(pkg) == 3);
  CHECK(critical_chain_days(pkg) <= *pkg.time_limit);
}

TEST_CASE("company-change: fewer steps, materials, trips and days than one office at a time", "[workflows]") {
  Workflow pkg = load_bundled("company-change.yaml");
  Workflow old = load_bundled("company-change-legacy.yaml");
  CHECK_FALSE(old.is_package());
  CHECK(old.window.empty());
  CHECK(pkg.steps.size() < old.steps.size());
  CHECK(pkg.applicant_materials.size() < old.applicant_materials.size());
  // The reports cite -64% materials; the per-office count here falls by more than half.
  CHECK(material_submissions(pkg) * 2 < material_submissions(old));
  CHECK(trips(old) == 7);
  CHECK(trips(pkg) == 1);
  CHECK(critical_chain_days(old) == sum_of_days(old));
  CHECK(critical_chain_days(pkg) * 4 < critical_chain_days(old));
}

TEST_CASE("key-project-review: four departments review at once on the green channel", "[workflows]") {
  Workflow wf = load_bundled("key-project-review.yaml");
  CHECK(wf.priority == "green");
  std::vector<const jointreview::Step*> joint;
  for (const auto& s : wf.steps)
    if (s.joint()) joint.push_back(&s);
  REQUIRE(joint.size() == 1);
  const auto& j = *joint.front();
  CHECK(j.id == "joint_review");
  CHECK(std::set<std::string>(j.departments.begin(), j.departments.end()) ==
        std::set<std::string>{"发展改革委", "自然资源局", "住房城乡建设局", "生态环境局"});
  CHECK(j.lead == "发展改革委");
  CHECK(j.produces == std::vector<std::string>{"联审意见书"});

  // There is a step before the joint review and steps after it.
  const auto ji = static_cast<std::size_t>(wf.find_step("joint_review"));
  std::size_t before = 0, after = 0;
  for (const auto& d : wf.dependencies) {
    before += d.to == ji;
    after += d.from == ji;
  }
  CHECK(before == 1);
  CHECK(after == 3);
  REQUIRE(wf.time_limit.has_value());
  CHECK(critical_chain_days(wf) == 13);
  CHECK(critical_chain_days(wf) <= *wf.time_limit);
  CHECK(trips(wf) == 1);
}
