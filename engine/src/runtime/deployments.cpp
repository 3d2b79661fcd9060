// Deployed workflows (Engine::deploy): versions of a workflow id stored in
// the database with their texts and calendar, started by id.
#include "runtime/engine_impl.h"

namespace jointreview::runtime {

DeployedWorkflow EngineImpl::deploy_job(const LoadedFile& loaded) {
  refuse_if_read_only("deploy");
  const Workflow& wf = *loaded.workflow;
  auto& versions = deployments_[wf.id];
  if (!versions.empty() && versions.back().hash == loaded.hash) {
    DeployedWorkflow d = describe(versions.back());
    d.existed = true;
    return d;
  }
  // The definition holds its calendar (stored with this batch when the
  // database does not hold it yet), so that its instances need no file.
  definition(loaded.hash, loaded.workflow);
  if (pending_wf_.count(loaded.hash) == 0 && !stored_wf_.count(loaded.hash))
    pending_wf_[loaded.hash] = storage::WorkflowRecord{loaded.hash, wf.id, wf.title, wf.file, loaded.bundle_text};
  fire_due();
  storage::DeploymentRecord rec{wf.id, static_cast<std::int64_t>(versions.size() + 1), loaded.hash, now_text()};
  versions.push_back(rec);
  batch_.deployments.push_back(rec);
  undo_hooks_.push_back([this, id = wf.id] {
    auto it = deployments_.find(id);
    if (it == deployments_.end()) return;
    if (!it->second.empty()) it->second.pop_back();
    if (it->second.empty()) deployments_.erase(it);
  });
  return describe(rec);
}

// "ID" (the latest version), "ID@HASH" or "ID@vN".
const storage::DeploymentRecord& EngineImpl::deployed(const std::string& ref) const {
  const auto at = ref.find('@');
  const std::string id = ref.substr(0, at);
  auto it = deployments_.find(id);
  if (it == deployments_.end() || it->second.empty()) {
    std::string ids;
    for (const auto& [k, v] : deployments_) ids += (ids.empty() ? "" : ", ") + k;
    throw Error(Error::Code::not_found,
                "no workflow '" + id + "' is deployed in this database; " +
                    (ids.empty() ? std::string("none is: deploy one first (Engine::deploy)") : "deployed: " + ids),
                "unknown_workflow");
  }
  const auto& versions = it->second;
  if (at == std::string::npos) return versions.back();
  const std::string which = ref.substr(at + 1);
  for (const auto& d : versions)
    if (d.hash == which || "v" + std::to_string(d.version) == which) return d;
  throw Error(Error::Code::not_found,
              "workflow '" + id + "' has no deployed version '" + which + "' (a content hash, or vN; the latest is v" +
                  std::to_string(versions.back().version) + ", " + versions.back().hash + ")",
              "unknown_workflow");
}

DeployedWorkflow EngineImpl::describe(const storage::DeploymentRecord& d) {
  DeployedWorkflow w;
  w.id = d.id;
  w.version = static_cast<int>(d.version);
  w.hash = d.hash;
  w.deployed = d.deployed;
  const auto& versions = deployments_[d.id];
  w.latest = !versions.empty() && versions.back().version == d.version;
  try {
    w.title = definition(d.hash).compiled->source->title;
  } catch (const Error&) {
    // A stored text that no longer loads: listed all the same.
  }
  for (const auto& [id, in] : instances_)
    if (in->def->hash == d.hash && in->rt.state == InstanceState::running) ++w.running;
  return w;
}

}  // namespace jointreview::runtime
