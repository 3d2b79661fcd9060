// Workflow definitions: files loaded (and their texts kept) for start(),
// and the definitions instances run, cached by content hash and reloaded
// from the texts stored in the database.
#include "runtime/engine_impl.h"

#include <cstdio>

#include <nlohmann/json.hpp>

#include "jointreview/loader.h"
#include "util/text_util.h"

namespace jointreview::runtime {

namespace {

std::uint64_t fnv1a(const std::string& s) {
  std::uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

std::string hex64(std::uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

}  // namespace

// The loader's answer made a LoadedFile whose texts the loader's reads put
// in `out.files`: the bundle, its hash and the model; or invalid_workflow
// with every FILE:LINE:COLUMN message.
void EngineImpl::seal(LoadedFile& out, LoadResult&& r, const std::string& main) {
  if (!r.ok()) {
    std::string msg = "the workflow does not load:";
    for (const auto& d : r.diagnostics) msg += "\n" + d.str();
    throw Error(Error::Code::invalid_workflow, msg);
  }
  nlohmann::ordered_json bundle = {{"main", main}, {"files", out.files}};
  out.bundle_text = bundle.dump();
  out.hash = hex64(fnv1a(out.bundle_text));
  out.workflow = std::make_shared<const Workflow>(std::move(*r.workflow));
}

// Loads a workflow file, reusing the last load of the same path when none
// of its files changed (compared by content, so an edit is never missed).
std::shared_ptr<const EngineImpl::LoadedFile> EngineImpl::load(const std::string& path) {
  {
    std::lock_guard<std::mutex> lock(load_mutex_);
    auto it = load_cache_.find(path);
    if (it != load_cache_.end()) {
      bool same = true;
      for (const auto& [file, text] : it->second->files) {
        std::string now, why;
        if (!text::read_file(file, now, why) || now != text) {
          same = false;
          break;
        }
      }
      if (same) return it->second;
    }
  }
  auto out = std::make_shared<LoadedFile>();
  LoadOptions lo;
  lo.warnings = false;
  lo.calendar_dirs = opt_.calendar.search_path;
  lo.read_file = [&out](const std::string& file, std::string& text, std::string& why) {
    if (!text::read_file(file, text, why)) return false;
    out->files[file] = text;
    return true;
  };
  seal(*out, load_workflow_file(path, lo), path);
  std::lock_guard<std::mutex> lock(load_mutex_);
  load_cache_[path] = out;
  return out;
}

// A workflow given as texts (Engine::deploy_texts): loaded from them alone.
std::shared_ptr<const EngineImpl::LoadedFile> EngineImpl::load_texts(const std::map<std::string, std::string>& files,
                                                                     const std::string& main) {
  if (files.find(main) == files.end())
    throw Error(Error::Code::invalid_argument, "the texts hold no file '" + main + "', the one named main",
                "bad_value");
  auto out = std::make_shared<LoadedFile>();
  LoadOptions lo;
  lo.warnings = false;
  lo.calendar_dirs = opt_.calendar.search_path;
  lo.allow_includes_outside = true;  // names, not paths on this machine
  lo.read_file = [&files, &out](const std::string& file, std::string& text, std::string& why) {
    auto f = files.find(file);
    if (f == files.end() && file.rfind("./", 0) == 0) f = files.find(file.substr(2));
    if (f == files.end()) {
      why = "not among the texts given";
      return false;
    }
    text = f->second;
    out->files[file] = text;
    return true;
  };
  seal(*out, load_workflow_file(main, lo), main);
  return out;
}

Definition& EngineImpl::definition(const std::string& hash, std::shared_ptr<const Workflow> wf) {
  auto it = defs_.find(hash);
  if (it != defs_.end()) return *it->second;
  auto def = std::make_unique<Definition>();
  def->hash = hash;
  const bool from_files = wf != nullptr;  // start(): the workflow's folder can be compared with the held copy
  if (!wf) {
    // Reload the exact texts the instance started with.
    auto stored = reader().workflow(hash);  // the event loop's own connection
    if (!stored) throw Error(Error::Code::storage, "workflow " + hash + " is missing from the database");
    std::map<std::string, std::string> files;
    std::string main_file;
    try {
      const auto bundle = nlohmann::json::parse(stored->bundle);
      files = bundle.at("files").get<std::map<std::string, std::string>>();
      main_file = bundle.at("main").get<std::string>();
    } catch (const nlohmann::json::exception&) {
      throw Error(Error::Code::storage, "the stored texts of workflow " + hash + " ('" + stored->id +
                                            "') are damaged in the database (not the JSON jreview wrote); restore "
                                            "the database from a backup");
    }
    LoadOptions lo;
    lo.warnings = false;
    lo.calendar_dirs = opt_.calendar.search_path;
    lo.known_calendar_ids = held_calendar_ids();  // counted with the database's copy, wherever this runs
    // A stored workflow is read from the database's texts, not the disk: it
    // loads as it loaded when it was started, wherever its includes were.
    lo.allow_includes_outside = true;
    lo.read_file = [files](const std::string& path, std::string& text, std::string& why) {
      auto f = files.find(path);
      if (f == files.end()) {
        why = "not in the stored definition";
        return false;
      }
      text = f->second;
      return true;
    };
    auto r = load_workflow_file(main_file, lo);
    if (!r.ok())
      throw Error(Error::Code::storage, "the stored workflow " + hash + " no longer loads: " +
                                            (r.diagnostics.empty() ? std::string("?") : r.diagnostics[0].str()));
    wf = std::make_shared<const Workflow>(std::move(*r.workflow));
    stored_wf_.insert(hash);
  }
  def->compiled = compile(wf);
  def->machine = std::make_unique<StateMachine>(def->compiled);
  def->calendar = held_calendar(*wf, from_files);
  def->time = std::make_unique<TimeMap>(def->calendar, opt_.utc_offset_minutes, strict_time());
  Definition& ref = *def;
  defs_.emplace(hash, std::move(def));
  return ref;
}

}  // namespace jointreview::runtime
