// A workflow file read and parsed into the model: its text checked, its
// keys read with their positions, its steps and includes merged.
#include "loader/loader_impl.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <unordered_map>

#include <yaml-cpp/depthguard.h>

#include "loader/scan.h"
#include "loader/syntax.h"

namespace fs = std::filesystem;

namespace jointreview::loader {

bool read_file(const LoadOptions& opt, const std::string& path, std::string& out, std::string& why) {
  if (opt.read_file) return opt.read_file(path, out, why);
  return text::read_file(path, out, why);
}

std::optional<Workflow> Loader::load(const std::string& name, std::string text,
                                     std::vector<std::string>& stack) {
  ++files_loaded_;
  if (stack.size() == 1 && root_.empty()) {
    root_ = fs::path(stack.front()).parent_path().string();
    if (root_.empty()) {  // a text without a file name: its includes are relative to the working folder
      std::error_code ec;
      root_ = fs::weakly_canonical(fs::current_path(ec), ec).string();
    }
    root_shown_ = fs::path(name).parent_path().string();
    if (root_shown_.empty()) root_shown_ = ".";
  }
  // A UTF-8 byte order mark is not part of the text: editors count columns after it.
  if (text.rfind("\xEF\xBB\xBF", 0) == 0) text.erase(0, 3);
  // Line breaks of old Mac files, CR alone, are line breaks in YAML too, but
  // yaml-cpp reads them as one line: the whole file would be its first line.
  if (text.find('\n') == std::string::npos && text.find('\r') != std::string::npos)
    std::replace(text.begin(), text.end(), '\r', '\n');
  Source src(name, std::move(text));
  Ctx c(src, diags_, opt_.warnings);
  const std::string& t = src.text();
  // The sizes are checked here, whoever read the text (the file system,
  // LoadOptions::read_file, load_workflow_string).
  const SourcePos whole{name, 0, 0};
  if (t.size() > text::kMaxFileBytes) {
    c.error(whole, "the file is " + std::to_string(t.size()) + " bytes, more than the 16 MiB (" +
                       std::to_string(text::kMaxFileBytes) + " bytes) a workflow file may have",
            "split it into a package of items (includes:)");
    return std::nullopt;
  }
  bytes_loaded_ += t.size();
  if (bytes_loaded_ > kMaxTotalBytes) {
    c.error(whole, "with this file the workflow and its includes come to " + std::to_string(bytes_loaded_) +
                       " bytes, more than the 64 MiB (" + std::to_string(kMaxTotalBytes) + " bytes) one load may read",
            "a package needs far less; check its includes");
    return std::nullopt;
  }
  std::size_t bad = text::find_invalid_utf8(t);
  if (bad != std::string::npos) {
    char byte[8];
    std::snprintf(byte, sizeof byte, "0x%02X", static_cast<unsigned char>(t[bad]));
    c.error(src.at_byte_offset(bad), std::string("the file is not valid UTF-8 text (byte ") + byte + " here)",
            "save it as UTF-8 (GBK and GB18030 files must be converted, for example with iconv -f GBK -t UTF-8)");
    return std::nullopt;
  }
  if (std::size_t nul = t.find('\0'); nul != std::string::npos) {
    c.error(src.at_byte_offset(nul), "the file contains a NUL byte here (is it a binary file?)",
            "a workflow file is UTF-8 text; check that this is the file you meant");
    return std::nullopt;
  }
  return parse(src, stack);
}

// The limits of the YAML itself, before it is built into nodes (scan.h):
// false when the file is refused (the errors are reported).
bool Loader::check_nodes(Ctx& c, const std::string& body, std::vector<YAML::Mark>& quoted) {
  const Source& src = c.src();
  NodeScan scan;
  try {
    scan = scan_nodes(body, nodes_loaded_, kMaxNodes, kMaxSteps);
  } catch (const YAML::Exception&) {
    return true;  // a syntax error: YAML::Load reports it
  }
  switch (scan.stop) {
    case NodeScan::Stop::none: break;
    case NodeScan::Stop::nodes:
      c.error(src.at(scan.stop_at),
              "the YAML comes to more than " + std::to_string(kMaxNodes) +
                  " nodes here, counting every alias (*name) as the node it repeats; that is the limit for a "
                  "workflow and its includes together",
              "a workflow needs far fewer; write repeated parts out instead of multiplying them with aliases");
      return false;
    case NodeScan::Stop::steps:
      c.error(src.at(scan.stop_at),
              "this is step " + std::to_string(scan.steps) + ", and a workflow may have at most " +
                  std::to_string(kMaxSteps) + " steps",
              "split the procedure into several workflows");
      return false;
    case NodeScan::Stop::recursive_alias:
      c.error(src.at(scan.stop_at), "this alias repeats a node that contains it, which never ends",
              "an alias (*name) can only repeat a node that ends before it");
      return false;
  }
  nodes_loaded_ += scan.nodes;
  for (const auto& b : scan.bad_texts) {
    const std::size_t at = text::code_points(std::string_view(b.value).substr(0, b.offset)) + 1;
    if (b.utf8) {
      char byte[8];
      std::snprintf(byte, sizeof byte, "0x%02X", static_cast<unsigned char>(b.value[b.offset]));
      c.error(src.at(b.at), std::string("this text is not valid UTF-8 once its escapes are decoded (byte ") + byte +
                                " at its character " + std::to_string(at) + ")",
              "an escape such as \\uD800 (half of a surrogate pair) is no character; write the character itself");
    } else {
      const unsigned char ch = static_cast<unsigned char>(b.value[b.offset]);
      const unsigned code = ch == 0xC2 ? static_cast<unsigned char>(b.value[b.offset + 1]) : ch;
      char u[16];
      std::snprintf(u, sizeof u, "U+%04X", code);
      c.error(src.at(b.at), std::string("this text holds the control character ") + u + " at its character " +
                                std::to_string(at),
              "texts are printed in tables and terminals, where a control character acts instead of showing; "
              "remove it");
    }
  }
  if (!scan.bad_texts.empty()) return false;
  quoted = std::move(scan.quoted);
  return true;
}

std::optional<Workflow> Loader::parse(const Source& src, std::vector<std::string>& stack) {
  Ctx c(src, diags_, opt_.warnings);
  const std::string& body = src.text();
  auto offset_of = [&](const YAML::Mark& m) {
    return m.pos >= 0 ? std::min(static_cast<std::size_t>(m.pos), body.size()) : body.size();
  };
  std::vector<YAML::Mark> quoted;
  if (!check_nodes(c, body, quoted)) return std::nullopt;
  YAML::Node root;
  try {
    root = YAML::Load(body);
  } catch (const YAML::DeepRecursion& e) {
    FlowScan scan = scan_flow(body, body.size(), static_cast<std::size_t>(e.depth()));
    SourcePos at = scan.too_deep != std::string::npos ? src.at_byte_offset(scan.too_deep) : src.at(e.mark);
    c.error(at, "the YAML nests too deeply: more than " + std::to_string(e.depth()) + " levels at this point",
            "a workflow needs only a few levels; look for runaway brackets");
    return std::nullopt;
  } catch (const YAML::ParserException& e) {
    syntax_error(c, e);
    return std::nullopt;
  } catch (const YAML::Exception& e) {
    c.error(src.at(e.mark), "YAML error: " + e.msg);
    return std::nullopt;
  }
  if (auto m = unterminated_quote(quoted, body)) {
    c.error(src.at(*m), std::string("YAML syntax error: the quote opened here is never closed"),
            std::string("add the closing ") + body[offset_of(*m)] + " at the end of the text");
    return std::nullopt;
  }
  SourcePos top{src.file(), 1, 1};
  if (!root.IsDefined() || root.IsNull()) {
    bool blank = body.find_first_not_of(" \t\r\n") == std::string::npos;
    c.error(top, blank ? "the file is empty" : "the file holds only comments, no workflow",
            "a workflow needs at least 'workflow:' (its id) and 'steps:'");
    return std::nullopt;
  }
  if (!root.IsMap()) {
    c.error(c.pos(root), "a workflow file must be a mapping of keys such as 'workflow:' and 'steps:', not " +
                             describe(root),
            root.IsSequence() ? "start the file with 'workflow: ID' and put the list under 'steps:'" : std::string{});
    return std::nullopt;
  }
  Workflow wf;
  wf.file = src.file();
  wf.pos = top;
  auto k = c.keys(root, keys::workflow, "the workflow");

  if (auto it = k.find("workflow"); it == k.end()) {
    if (!c.misspelled(root, "workflow", keys::workflow))
      c.error(top, "missing 'workflow:', the workflow id", "add for example 'workflow: my-procedure' as the first line");
  } else if (auto id = c.text_value(it->second.value, "'workflow'")) {
    if (!valid_id(*id))
      c.error(c.pos(it->second.value), "workflow id '" + *id + "' may contain only letters, digits, _ and -",
              "keep Chinese names for 'title:'");
    wf.id = *id;
  }
  if (auto it = k.find("title"); it != k.end())
    if (auto v = c.text_value(it->second.value, "'title'")) wf.title = *v;
  if (auto it = k.find("description"); it != k.end()) c.text_value(it->second.value, "'description'");
  if (auto it = k.find("calendar"); it != k.end()) {
    if (auto v = c.text_value(it->second.value, "'calendar'")) {
      auto known = known_calendars(src.file(), opt_);
      if (std::find(known.begin(), known.end(), *v) == known.end()) {
        std::string near = text::closest(*v, known);
        c.error(c.pos(it->second.value), "unknown calendar '" + *v + "'",
                near.empty() ? (known.empty() ? "no calendar files were found; put ID.yaml in a calendars/ folder beside the workflow"
                                              : "known calendars are " + text::quoted_list(known))
                             : "did you mean '" + near + "'?");
      }
      wf.calendar = *v;
    }
  }
  if (auto it = k.find("time_limit"); it != k.end()) {
    wf.time_limit = c.number(it->second.value, "'time_limit'");
    if (stack.size() == 1) time_limit_pos_ = c.pos(it->second.value);
  }
  if (auto it = k.find("warn_before"); it != k.end())
    if (auto v = c.number(it->second.value, "'warn_before'")) wf.warn_before = *v;
  if (auto it = k.find("contact_within"); it != k.end())
    if (auto v = c.number(it->second.value, "'contact_within'")) wf.contact_within = *v;
  if (auto it = k.find("window"); it != k.end())
    if (auto v = c.text_value(it->second.value, "'window'")) wf.window = *v;
  if (auto it = k.find("priority"); it != k.end()) {
    if (auto v = c.text_value(it->second.value, "'priority'")) {
      if (*v != "normal" && *v != "green")
        c.error(c.pos(it->second.value), "'priority' must be 'normal' or 'green', not '" + *v + "'");
      else
        wf.priority = *v;
    }
  }
  if (auto it = k.find("deferred_decision"); it != k.end())
    if (auto v = c.deferred_decision(it->second.value)) wf.deferred_decision = *v;

  if (auto it = k.find("departments"); it != k.end()) {
    const YAML::Node& dn = it->second.value;
    if (dn.IsNull()) {
    } else if (!dn.IsMap()) {
      c.error(c.pos(dn), "'departments' must be a mapping from department name to its settings, not " + describe(dn),
              "write for example '住建局: {capacity: 3}'");
    } else {
      for (const auto& kv : dn) {
        const YAML::Node key = kv.first;
        if (!key.IsScalar() || key.Scalar().empty()) {
          c.error(c.pos(key), "a department name must be text, not " + describe(key));
          continue;
        }
        Department dep;
        dep.name = key.Scalar();
        dep.pos = c.pos(key);
        if (long prev = wf.find_department(dep.name); prev >= 0) {
          c.error(dep.pos, "department '" + dep.name + "' is declared twice (first at line " +
                               std::to_string(wf.departments[static_cast<std::size_t>(prev)].pos.line) + ")",
                  "keep one of them");
          continue;
        }
        const YAML::Node dv = kv.second;
        if (dv.IsMap()) {
          auto dk = c.keys(dv, keys::department, "department '" + dep.name + "'");
          if (auto ci = dk.find("capacity"); ci != dk.end()) {
            if (auto v = c.number(ci->second.value, "'capacity'", 1, 1e6, true))
              dep.capacity = static_cast<int>(*v);
            else if (ci->second.value.IsScalar() && ci->second.value.Scalar() == "0")
              diags_.back().hint = "leave 'capacity' out when the department has no limit";
          }
          if (auto wi = dk.find("description"); wi != dk.end()) c.text_value(wi->second.value, "'description'");
        } else if (!dv.IsNull()) {
          c.error(c.pos(dv), "the settings of department '" + dep.name + "' must be a mapping, not " + describe(dv),
                  "write for example '" + dep.name + ": {capacity: 3}'");
        }
        wf.departments.push_back(std::move(dep));
      }
    }
  }

  // Includes (a package): each file is loaded and merged before own steps.
  if (auto it = k.find("includes"); it != k.end()) {
    if (auto list = c.text_list(it->second.value, "'includes'")) {
      for (const auto& [rel, at] : *list) include(c, wf, rel, at, stack);
    }
  }

  auto steps_it = k.find("steps");
  if (steps_it == k.end() || steps_it->second.value.IsNull()) {
    if (wf.includes.empty() && k.find("includes") == k.end())
      c.error(steps_it == k.end() ? top : c.pos(steps_it->second.key), "the workflow has no steps",
              "add 'steps:' with at least one step, or 'includes:' for a package");
  } else if (!steps_it->second.value.IsSequence()) {
    const YAML::Node& sv = steps_it->second.value;
    std::string first = sv.IsMap() && sv.begin() != sv.end() && sv.begin()->first.IsScalar()
                            ? sv.begin()->first.Scalar() : std::string("...");
    c.error(c.pos(sv), "'steps' must be a list of steps, not " + describe(sv),
            sv.IsMap() ? "start each step with '- id: " + first + "' instead of '" + first + ":'"
                       : std::string("start each step with '- id: ...'"));
  } else {
    const YAML::Node& sn = steps_it->second.value;
    if (sn.size() == 0 && wf.includes.empty())
      c.error(c.pos(sn), "the workflow has no steps", "add at least one step");
    // Ids seen so far (included items first), for a linear duplicate check.
    std::unordered_map<std::string, std::size_t> seen_ids;
    for (std::size_t i = 0; i < wf.steps.size(); ++i) seen_ids.emplace(wf.steps[i].id, i);
    for (const auto& item : sn) {
      Step s;
      bool ok = true;
      parse_step(c, item, s, ok);
      if (s.id.empty()) continue;
      auto [seen, fresh] = seen_ids.emplace(s.id, wf.steps.size());
      if (!fresh) {
        const std::size_t prev = seen->second;
        const SourcePos& p = wf.steps[prev].id_pos;
        c.error(s.id_pos, "duplicate step id '" + s.id + "' (first defined at " +
                              (p.file == s.id_pos.file ? "line " + std::to_string(p.line)
                                                       : p.file + ":" + std::to_string(p.line)) + ")",
                "step ids must be unique; rename one of them");
        continue;
      }
      if (!room_for_step(c, wf, s.id_pos)) break;
      s.origin = wf.id;
      if (!s.deferred_decision) s.deferred_decision = wf.deferred_decision;
      wf.steps.push_back(std::move(s));
    }
  }
  return wf;
}

namespace {

// True when `p` is `root` or below it (both canonical).
bool inside(const fs::path& p, const fs::path& root) {
  auto q = p.begin();
  for (auto r = root.begin(); r != root.end(); ++r, ++q)
    if (q == p.end() || *q != *r) return false;
  return true;
}

bool same_place(const SourcePos& a, const SourcePos& b) {
  return a.file == b.file && a.line == b.line && a.column == b.column;
}

}  // namespace

// One entry of `includes:` (at `at`), loaded and merged into `wf`.
void Loader::include(Ctx& c, Workflow& wf, const std::string& rel, const SourcePos& at,
                     std::vector<std::string>& stack) {
  const fs::path p = fs::path(c.src().file()).parent_path() / rel;
  std::error_code ec;
  const fs::path canon = fs::weakly_canonical(p, ec);
  const std::string key = ec ? p.lexically_normal().string() : canon.string();
  // Nothing outside the workflow's folder is read, so that a workflow
  // cannot show another file's content in its messages.
  if (!opt_.allow_includes_outside) {
    const std::string allow = "or let the caller allow it (LoadOptions::allow_includes_outside, "
                              "jreview validate --allow-includes-outside)";
    if (fs::path(rel).is_absolute()) {
      c.error(at, "include path '" + rel + "' is absolute; includes are read only from the workflow's folder '" +
                      root_shown_ + "' and below it",
              "give the path relative to this file's folder, " + allow);
      return;
    }
    if (!inside(fs::path(key), fs::path(root_))) {
      c.error(at, "include path '" + rel + "' leads outside the workflow's folder '" + root_shown_ +
                      "'; includes are read only from that folder and below it (a symbolic link counts where it leads)",
              "move the item into the folder, " + allow);
      return;
    }
  }
  if (std::find(stack.begin(), stack.end(), key) != stack.end()) {
    std::string chain;
    for (const auto& s : stack) chain += fs::path(s).filename().string() + " -> ";
    c.error(at, "include cycle: " + chain + fs::path(key).filename().string(),
            "a package may include items, but an item may not include the package");
    return;
  }
  if (stack.size() > kMaxIncludeDepth) {
    c.error(at, "includes nest more than 16 files deep");
    return;
  }
  const std::string display = p.lexically_normal().string();
  // A file reached again (a diamond: two items include the same third) is
  // the same item: loaded once, its steps merged once.
  if (auto hit = included_.find(key); hit != included_.end()) {
    if (!hit->second) return;  // its errors are reported already
    if (std::find(wf.includes.begin(), wf.includes.end(), display) == wf.includes.end())
      wf.includes.push_back(display);
    merge_include(c, wf, *hit->second, at);
    return;
  }
  if (included_.size() >= kMaxIncludedFiles) {
    c.error(at, "more than " + std::to_string(kMaxIncludedFiles) + " files are included, the limit for one workflow",
            "a package needs far fewer; check its includes");
    return;
  }
  std::string text, why;
  if (!read_file(opt_, display, text, why)) {
    c.error(at, "cannot read included file '" + rel + "': " + why, "paths are relative to this file's folder");
    return;
  }
  stack.push_back(key);
  const std::size_t before = diags_.size();
  auto item = load(display, std::move(text), stack);
  stack.pop_back();
  const auto slot = included_.emplace(key, std::move(item)).first;
  if (!slot->second) {
    if (!has_errors({diags_.begin() + static_cast<long>(before), diags_.end()}))
      c.error(at, "included file '" + rel + "' is not a usable workflow");
    return;
  }
  wf.includes.push_back(display);
  merge_include(c, wf, *slot->second, at);
}

// False, with the error reported once, when `wf` has as many steps as a
// workflow may have.
bool Loader::room_for_step(Ctx& c, const Workflow& wf, const SourcePos& at) {
  if (wf.steps.size() < kMaxSteps) return true;
  if (!steps_capped_)
    c.error(at, "with this step the workflow (its included items' steps counted) has more than " +
                    std::to_string(kMaxSteps) + " steps, the limit for one workflow",
            "split the procedure into several workflows");
  steps_capped_ = true;
  return false;
}

void Loader::merge_include(Ctx& c, Workflow& pkg, const Workflow& item, const SourcePos& at) {
  if (!item.calendar.empty() && item.calendar != pkg.calendar)
    c.warning(at, "included workflow '" + item.id + "' uses calendar '" + item.calendar +
                      "' but the package uses '" + pkg.calendar + "'; the package's calendar applies");
  for (const auto& d : item.departments) {
    long have = pkg.find_department(d.name);
    if (have < 0) pkg.departments.push_back(d);
  }
  std::unordered_map<std::string, std::size_t> index;
  for (std::size_t i = 0; i < pkg.steps.size(); ++i) index.emplace(pkg.steps[i].id, i);
  for (const auto& s : item.steps) {
    if (auto prev = index.find(s.id); prev != index.end()) {
      const SourcePos& p = pkg.steps[prev->second].id_pos;
      if (same_place(p, s.id_pos)) continue;  // the same definition, reached through two items
      c.error(s.id_pos, "step id '" + s.id + "' is already defined at " + p.file + ":" + std::to_string(p.line) +
                            ":" + std::to_string(p.column),
              "step ids must be unique across a package (here '" + pkg.id + "'); rename one of them");
      continue;
    }
    if (!room_for_step(c, pkg, at)) break;
    index.emplace(s.id, pkg.steps.size());
    pkg.steps.push_back(s);
    pkg.steps.back().origin = item.id;
  }
}

void Loader::parse_step(Ctx& c, const YAML::Node& n, Step& s, bool& ok) {
  s.pos = c.pos(n);
  if (!n.IsMap()) {
    c.error(s.pos, "a step must be a mapping with at least 'id', 'department' and 'days', not " + describe(n));
    ok = false;
    return;
  }
  std::string ctx = "step";
  // A const lookup of a missing key yields an invalid node: test IsDefined() first.
  if (const YAML::Node idn = n["id"]; idn.IsDefined() && idn.IsScalar() && valid_id(idn.Scalar()))
    ctx = "step '" + idn.Scalar() + "'";
  auto k = c.keys(n, keys::step, ctx);
  if (auto it = k.find("id"); it == k.end()) {
    if (!c.misspelled(n, "id", keys::step)) {
      std::string named = k.count("name") && k["name"].value.IsScalar() ? " '" + k["name"].value.Scalar() + "'" : "";
      c.error(s.pos, "step" + named + " has no 'id'", "add 'id:' with a unique name of letters, digits, _ and -");
    }
    ok = false;
  } else if (auto v = c.text_value(it->second.value, "'id'")) {
    s.id_pos = c.pos(it->second.value);
    if (!valid_id(*v)) {
      c.error(s.id_pos, "step id '" + *v + "' may contain only letters, digits, _ and -",
              "keep Chinese names for 'name:'");
      ok = false;
    } else {
      s.id = *v;
      ctx = "step '" + s.id + "'";
    }
  }
  if (auto it = k.find("name"); it != k.end()) {
    if (auto v = c.text_value(it->second.value, "'name'")) s.name = *v;
  }
  if (s.name.empty()) s.name = s.id;
  for (const char* free_text : {"description", "responsible"})
    if (auto it = k.find(free_text); it != k.end()) c.text_value(it->second.value, std::string("'") + free_text + "'");

  auto dep1 = k.find("department");
  auto depn = k.find("departments");
  if (dep1 != k.end() && depn != k.end()) {
    c.error(c.pos(depn->second.key), ctx + " has both 'department' and 'departments'",
            "use 'department' for one reviewer or 'departments' for a joint review");
  } else if (dep1 != k.end()) {
    if (auto v = c.text_value(dep1->second.value, "'department'")) {
      if (v->empty()) c.error(c.pos(dep1->second.value), "'department' is empty");
      else s.departments.push_back(*v);
    }
  } else if (depn != k.end()) {
    if (auto list = c.text_list(depn->second.value, "'departments'")) {
      for (auto& [d, p] : *list) s.departments.push_back(d);
      if (s.departments.empty())
        c.error(c.pos(depn->second.value), "'departments' of " + ctx + " is empty",
                "list the departments that review it together");
    }
  } else if ((!s.id.empty() || k.count("id")) && !c.misspelled(n, "department", keys::step) &&
             !c.misspelled(n, "departments", keys::step)) {
    c.error(s.pos, ctx + " names no department", "add 'department:' (or 'departments:' for a joint review)");
  }
  if (auto it = k.find("lead"); it != k.end()) {
    if (auto v = c.text_value(it->second.value, "'lead'")) {
      if (!s.departments.empty() && std::find(s.departments.begin(), s.departments.end(), *v) == s.departments.end())
        c.error(c.pos(it->second.value), "lead department '" + *v + "' is not among the departments of " + ctx,
                "add it to 'departments' or choose one of " + text::quoted_list(s.departments));
      s.lead = *v;
    }
  }
  if (s.lead.empty() && !s.departments.empty()) s.lead = s.departments.front();

  if (auto it = k.find("days"); it == k.end()) {
    if (!c.misspelled(n, "days", keys::step))
      c.error(s.pos, ctx + " has no 'days'", "add 'days:' with its promised time limit in working days");
  } else if (auto v = c.number(it->second.value, "'days'")) {
    s.days = *v;
  }
  if (auto it = k.find("statutory_days"); it != k.end()) {
    s.statutory_days = c.number(it->second.value, "'statutory_days'");
    if (s.statutory_days && *s.statutory_days < s.days)
      c.warning(c.pos(it->second.value), "the promised 'days' (" + fmt_num(s.days) + ") of " + ctx +
                                             " exceed its 'statutory_days' (" + fmt_num(*s.statutory_days) + ")",
                "a promised limit is normally shorter than the legal one");
  }
  auto list_into = [&](const char* key, std::vector<std::string>& out, std::vector<SourcePos>* positions) {
    if (auto it = k.find(key); it != k.end()) {
      if (auto list = c.text_list(it->second.value, std::string("'") + key + "'")) {
        for (auto& [v, p] : *list) {
          out.push_back(v);
          if (positions) positions->push_back(p);
        }
      }
    }
  };
  list_into("needs", s.needs, &s.needs_pos);
  list_into("produces", s.produces, &s.produces_pos);
  list_into("after", s.after, &s.after_pos);

  if (auto it = k.find("deferred"); it != k.end()) {
    const YAML::Node& dn = it->second.value;
    if (!dn.IsSequence()) {
      c.error(c.pos(dn), "'deferred' must be a list of {material, within}, not " + describe(dn),
              "write for example '- {material: 施工图审查合格书, within: 10}'");
    } else {
      for (const auto& e : dn) {
        DeferredMaterial dm;
        dm.pos = c.pos(e);
        if (e.IsScalar()) {
          c.error(dm.pos, "a deferred material needs a deadline",
                  "write '{material: " + e.Scalar() + ", within: 10}' (working days after acceptance)");
          continue;
        }
        if (!e.IsMap()) {
          c.error(dm.pos, "each entry of 'deferred' must be a mapping, not " + describe(e));
          continue;
        }
        auto dk = c.keys(e, keys::deferred, "a deferred material");
        if (auto mi = dk.find("material"); mi == dk.end()) {
          if (!c.misspelled(e, "material", keys::deferred))
            c.error(dm.pos, "a deferred material has no 'material'", "name one of the step's 'needs'");
          continue;
        } else if (auto v = c.text_value(mi->second.value, "'material'")) {
          dm.material = *v;
          if (std::find(s.needs.begin(), s.needs.end(), *v) == s.needs.end())
            c.error(c.pos(mi->second.value), "deferred material '" + *v + "' is not in the 'needs' of " + ctx,
                    "only a material the step needs can be supplied later; add it to 'needs'");
        }
        if (auto wi = dk.find("within"); wi == dk.end()) {
          if (!c.misspelled(e, "within", keys::deferred))
            c.error(dm.pos, "deferred material '" + dm.material + "' has no 'within'",
                  "add 'within:' with the working days after acceptance by which it must arrive");
        } else if (auto v = c.number(wi->second.value, "'within'"))
          dm.within = *v;
        if (auto gi = dk.find("grace"); gi != dk.end())
          if (auto v = c.number(gi->second.value, "'grace'")) dm.grace = *v;
        if (auto li = dk.find("late_probability"); li != dk.end())
          if (auto v = c.number(li->second.value, "'late_probability'", 0, 1)) dm.late_probability = *v;
        s.deferred.push_back(dm);
      }
    }
  }
  if (auto it = k.find("commitment"); it != k.end()) {
    const YAML::Node& cn = it->second.value;
    s.commitment.pos = c.pos(cn);
    if (!cn.IsMap()) {
      c.error(c.pos(cn), "'commitment' must be a mapping such as {verify_after: 20}, not " + describe(cn));
    } else {
      auto ck = c.keys(cn, keys::commitment, "'commitment'");
      s.commitment.enabled = true;
      if (auto vi = ck.find("verify_after"); vi == ck.end()) {
        if (!c.misspelled(cn, "verify_after", keys::commitment))
          c.error(c.pos(cn), "'commitment' of " + ctx + " has no 'verify_after'",
                "add 'verify_after:' with the working days after approval when the verification falls due");
      } else if (auto v = c.number(vi->second.value, "'verify_after'"))
        s.commitment.verify_after = *v;
      if (auto fi = ck.find("fail_probability"); fi != ck.end())
        if (auto v = c.number(fi->second.value, "'fail_probability'", 0, 1)) s.commitment.fail_probability = *v;
      if (auto ri = ck.find("rectify_within"); ri != ck.end())
        if (auto v = c.number(ri->second.value, "'rectify_within'")) s.commitment.rectify_within = *v;
      if (auto ri = ck.find("rectify_probability"); ri != ck.end())
        if (auto v = c.number(ri->second.value, "'rectify_probability'", 0, 1)) s.commitment.rectify_probability = *v;
    }
  }
  if (auto it = k.find("excluded"); it != k.end()) {
    const YAML::Node& en = it->second.value;
    if (!en.IsSequence()) {
      c.error(c.pos(en), "'excluded' must be a list of {reason, days}, not " + describe(en),
              "write for example '- {reason: 专家评审, days: 5}'");
    } else {
      for (const auto& e : en) {
        ExcludedTime x;
        x.pos = c.pos(e);
        if (!e.IsMap()) {
          c.error(x.pos, "each entry of 'excluded' must be a mapping such as {reason: 听证, days: 10}, not " + describe(e));
          continue;
        }
        auto ek = c.keys(e, keys::excluded, "an excluded period");
        if (auto ri = ek.find("reason"); ri == ek.end()) {
          if (!c.misspelled(e, "reason", keys::excluded))
            c.error(x.pos, "an excluded period of " + ctx + " has no 'reason'",
                    "add 'reason:' saying what stops the clock, for example 专家评审 or 听证");
        } else if (auto v = c.text_value(ri->second.value, "'reason'"))
          x.reason = *v;
        if (auto di = ek.find("days"); di == ek.end()) {
          if (!c.misspelled(e, "days", keys::excluded))
            c.error(x.pos, "an excluded period of " + ctx + (x.reason.empty() ? "" : " (" + x.reason + ")") +
                               " has no 'days'",
                    "add 'days:' with its length in working days");
        } else if (auto v = c.distribution(di->second.value, "'days'"))
          x.days = *v;
        s.excluded.push_back(x);
      }
    }
  }
  if (auto it = k.find("duration"); it != k.end()) s.duration = c.distribution(it->second.value, "'duration'");
  if (auto it = k.find("prepare"); it != k.end()) s.prepare = c.distribution(it->second.value, "'prepare'");
  if (auto it = k.find("deferred_decision"); it != k.end()) {
    s.deferred_decision = c.deferred_decision(it->second.value);
    if (s.deferred_decision && *s.deferred_decision == DeferredDecision::issue && k.find("deferred") == k.end())
      c.warning(c.pos(it->second.value), "'deferred_decision: issue' on " + ctx + ", which defers no material",
                "it applies only with 'deferred:'; remove it or add the deferred material");
  }
  if (auto it = k.find("correction"); it != k.end()) {
    const YAML::Node& cn = it->second.value;
    s.correction.pos = c.pos(cn);
    if (!cn.IsMap()) {
      c.error(c.pos(cn), "'correction' must be a mapping such as {probability: 0.3, turnaround: 5}, not " + describe(cn));
    } else {
      auto ck = c.keys(cn, keys::correction, "'correction'");
      if (auto pi = ck.find("probability"); pi == ck.end()) {
        if (!c.misspelled(cn, "probability", keys::correction))
          c.error(c.pos(cn), "'correction' of " + ctx + " has no 'probability'",
                "add 'probability:' between 0 and 1, the chance a reviewing department asks for corrections");
      } else if (auto v = c.number(pi->second.value, "'probability'", 0, 1))
        s.correction.probability = *v;
      if (auto ti = ck.find("turnaround"); ti != ck.end()) {
        if (auto v = c.distribution(ti->second.value, "'turnaround'")) s.correction.turnaround = *v;
      } else {
        s.correction.turnaround = Distribution::fixed_days(5);
      }
      if (auto mi = ck.find("max_rounds"); mi != ck.end())
        if (auto v = c.number(mi->second.value, "'max_rounds'", 1, 100, true)) s.correction.max_rounds = static_cast<int>(*v);
    }
  }
  if (auto it = k.find("window"); it != k.end())
    if (auto v = c.text_value(it->second.value, "'window'")) s.window = *v;
  if (auto it = k.find("online"); it != k.end())
    if (auto v = c.boolean(it->second.value, "'online'")) s.online = *v;
}

}  // namespace jointreview::loader
