// Calendar files (calendar_file.h): the YAML read and checked item by item.
#include "calendar/calendar_file.h"

#include "calendar/civil.h"
#include "util/text_util.h"

#include <cctype>
#include <fstream>
#include <set>
#include <sstream>

namespace jointreview::calendar_file {

using namespace civil;

namespace {

std::string describe(const YAML::Node& n) {
  if (!n.IsDefined() || n.IsNull()) return "nothing";
  if (n.IsSequence()) return "a list";
  if (n.IsMap()) return "a mapping";
  return shown(n.Scalar());
}

// The keys of a mapping; unknown and repeated keys are reported.
std::map<std::string, YAML::Node> read_keys(Problems& pr, const YAML::Node& map,
                                            const std::vector<std::string>& allowed, const std::string& what) {
  std::map<std::string, YAML::Node> out;
  for (auto it = map.begin(); it != map.end(); ++it) {
    // it-> yields a proxy that lives for one expression only: copy the key.
    const YAML::Node k = it->first;
    if (!k.IsScalar()) {
      pr.error(pr.pos(k), "a key in " + what + " must be a plain name");
      continue;
    }
    const std::string& name = k.Scalar();
    if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
      std::string near = text::closest(name, allowed);
      pr.error(pr.pos(k), "unknown key '" + name + "' in " + what + "; " +
                              (near.empty() ? "allowed keys are " + text::quoted_list(allowed)
                                            : "did you mean '" + near + "'?"));
      continue;
    }
    if (out.count(name)) {
      pr.error(pr.pos(k), "key '" + name + "' appears twice in " + what);
      continue;
    }
    out.emplace(name, it->second);
  }
  return out;
}

std::optional<std::string> scalar(Problems& pr, const std::map<std::string, YAML::Node>& keys,
                                  const std::string& key, const std::string& what, Pos parent, bool required) {
  auto it = keys.find(key);
  if (it == keys.end()) {
    if (required) pr.error(parent, what + " needs '" + key + "'");
    return std::nullopt;
  }
  if (!it->second.IsScalar() || it->second.Scalar().empty()) {
    pr.error(pr.pos(it->second), "'" + key + "' must be text, not " + describe(it->second));
    return std::nullopt;
  }
  return it->second.Scalar();
}

std::optional<Date> date_value(Problems& pr, const YAML::Node& n, const std::string& key) {
  if (!n.IsScalar()) {
    pr.error(pr.pos(n), "'" + key + "' must be a date YYYY-MM-DD, not " + describe(n));
    return std::nullopt;
  }
  std::string why;
  if (auto d = parse_date(n.Scalar(), why)) return d;
  pr.error(pr.pos(n), "invalid date " + shown(n.Scalar()) + ": " + why);
  return std::nullopt;
}

// A list of days: each item {date: D} or {from: D, to: D}, plus a text key
// (`text_key`, required when `text_required`) and `extra_keys` accepted.
std::vector<DaySpec> read_days(Problems& pr, const YAML::Node& list, const std::string& list_name,
                               const std::string& text_key, bool text_required) {
  std::vector<DaySpec> out;
  if (!list.IsSequence()) {
    if (!list.IsNull())
      pr.error(pr.pos(list), "'" + list_name + "' must be a list, not " + describe(list));
    return out;
  }
  std::vector<std::string> allowed = {"date", "from", "to", text_key};
  for (const auto& item : list) {
    Pos at = pr.pos(item);
    std::string what = "an entry of '" + list_name + "'";
    if (!item.IsMap()) {
      pr.error(at, what + " must be a mapping such as {date: 2026-10-01, " + text_key + ": ...}, not " +
                       describe(item));
      continue;
    }
    auto k = read_keys(pr, item, allowed, what);
    DaySpec ds;
    ds.pos = at;
    bool ok = true;
    if (auto t = scalar(pr, k, text_key, what, at, text_required)) ds.text = *t;
    else if (text_required) ok = false;
    bool has_date = k.count("date"), has_from = k.count("from"), has_to = k.count("to");
    if (has_date && (has_from || has_to)) {
      pr.error(at, what + " has 'date' and a range; give either 'date' or 'from' and 'to'");
      ok = false;
    } else if (has_date) {
      auto d = date_value(pr, k["date"], "date");
      if (d) ds.from = ds.to = *d;
      else ok = false;
    } else if (has_from || has_to) {
      if (!has_from || !has_to) {
        pr.error(at, what + " needs both 'from' and 'to' for a range");
        ok = false;
      } else {
        auto f = date_value(pr, k["from"], "from");
        auto t = date_value(pr, k["to"], "to");
        if (!f || !t) ok = false;
        else if (*t < *f) {
          pr.error(pr.pos(k["to"]), "range ends (" + t->str() + ") before it starts (" + f->str() + ")");
          ok = false;
        } else if (*t - *f > 366) {
          pr.error(pr.pos(k["to"]), "range " + f->str() + " .. " + t->str() + " is longer than a year");
          ok = false;
        } else {
          ds.from = *f;
          ds.to = *t;
        }
      }
    } else {
      pr.error(at, what + " needs 'date' (one day) or 'from' and 'to' (a range)");
      ok = false;
    }
    if (ok) out.push_back(ds);
  }
  return out;
}

}  // namespace

FileSpec parse_file(const std::string& text, const std::string& file) {
  Problems pr(file, text);
  FileSpec fs;
  fs.file = file;
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    pr.error(pr.pos(e.mark), "YAML syntax error: " + e.msg);
    pr.throw_if_any();
  } catch (const YAML::Exception& e) {
    pr.error(pr.pos(e.mark), "YAML error: " + e.msg);
    pr.throw_if_any();
  }
  if (!root.IsMap()) {
    pr.error(root.IsDefined() && !root.IsNull() ? pr.pos(root) : Pos{1, 1},
             "a calendar file must be a mapping with 'format', 'id', 'name', 'version' and 'years' (or 'extends')");
    pr.throw_if_any();
  }
  fs.pos_root = pr.pos(root);
  auto k = read_keys(pr, root,
                     {"format", "id", "name", "version", "source", "extends", "statutory", "years",
                      "closures", "extra_working_days"},
                     "the calendar");
  const std::string top = "the calendar";
  if (auto f = scalar(pr, k, "format", top, fs.pos_root, true)) {
    if (*f != std::to_string(kFormat))
      pr.error(pr.pos(k["format"]), "unsupported calendar format " + shown(*f) + "; this version reads format " +
                                        std::to_string(kFormat));
  }
  if (auto v = scalar(pr, k, "id", top, fs.pos_root, true)) {
    fs.id = *v;
    fs.pos_id = pr.pos(k["id"]);
    bool good = !v->empty() && v->find("..") == std::string::npos;
    for (unsigned char c : *v)
      if (!(std::isalnum(c) || c == '-' || c == '_' || c == '.')) good = false;
    if (!good) pr.error(fs.pos_id, "calendar id " + shown(*v) + " may use only letters, digits, '-', '_' and '.'");
  }
  if (auto v = scalar(pr, k, "name", top, fs.pos_root, true)) fs.name = *v;
  if (auto v = scalar(pr, k, "version", top, fs.pos_root, true)) fs.version = *v;
  scalar(pr, k, "source", top, fs.pos_root, false);
  if (auto v = scalar(pr, k, "extends", top, fs.pos_root, false)) {
    fs.extends = *v;
    fs.pos_extends = pr.pos(k["extends"]);
  }
  if (auto v = scalar(pr, k, "statutory", top, fs.pos_root, false)) {
    fs.statutory = *v;
    fs.pos_statutory = pr.pos(k["statutory"]);
    bool good = !v->empty() && v->find("..") == std::string::npos;
    for (unsigned char c : *v)
      if (!(std::isalnum(c) || c == '-' || c == '_' || c == '.')) good = false;
    if (!good)
      pr.error(fs.pos_statutory, "statutory-holiday data " + shown(*v) +
                                     " may use only letters, digits, '-', '_' and '.' (a file statutory/ID.yaml)");
  }
  if (auto it = k.find("years"); it != k.end()) {
    if (!fs.extends.empty()) {
      pr.error(pr.pos(it->second), "a calendar that extends another takes its years from it; remove 'years' "
                                   "or 'extends'");
    } else if (!it->second.IsMap()) {
      pr.error(pr.pos(it->second), "'years' must be a mapping from year to its days, not " + describe(it->second));
    } else {
      std::set<int> seen;
      for (auto y = it->second.begin(); y != it->second.end(); ++y) {
        YearSpec ys;
        ys.pos = pr.pos(y->first);
        const std::string ytext = y->first.IsScalar() ? y->first.Scalar() : "";
        bool digits = ytext.size() == 4 && std::all_of(ytext.begin(), ytext.end(), ::isdigit);
        if (!digits || ytext[0] == '0') {
          pr.error(ys.pos, "a key of 'years' must be a year such as 2026, not " + describe(y->first));
          continue;
        }
        ys.year = std::stoi(ytext);
        if (!seen.insert(ys.year).second) {
          pr.error(ys.pos, "year " + ytext + " appears twice in 'years'");
          continue;
        }
        const std::string what = "year " + ytext;
        if (!y->second.IsMap()) {
          pr.error(pr.pos(y->second), what + " must be a mapping with 'holidays' and 'makeup_days', not " +
                                          describe(y->second));
          continue;
        }
        auto yk = read_keys(pr, y->second, {"source", "working_days", "holidays", "makeup_days"}, what);
        scalar(pr, yk, "source", what, ys.pos, false);
        if (auto w = scalar(pr, yk, "working_days", what, ys.pos, false)) {
          ys.expected_pos = pr.pos(yk["working_days"]);
          bool num = w->size() <= 3 && std::all_of(w->begin(), w->end(), ::isdigit);
          if (!num) pr.error(ys.expected_pos, "'working_days' must be a whole number of days, not " + shown(*w));
          else ys.expected_working_days = std::stoi(*w);
        }
        if (yk.count("holidays")) ys.holidays = read_days(pr, yk["holidays"], "holidays", "name", true);
        else pr.error(ys.pos, what + " needs 'holidays' (a year without holidays would be a guess)");
        if (yk.count("makeup_days")) ys.makeups = read_days(pr, yk["makeup_days"], "makeup_days", "for", false);
        fs.years.push_back(std::move(ys));
      }
      if (it->second.size() == 0)
        pr.error(pr.pos(it->second), "'years' lists no year; give each year the calendar covers, with its holidays");
      std::sort(fs.years.begin(), fs.years.end(), [](const auto& a, const auto& b) { return a.year < b.year; });
      for (std::size_t i = 1; i < fs.years.size(); ++i)
        if (fs.years[i].year != fs.years[i - 1].year + 1)
          pr.error(fs.years[i].pos, "years must follow each other: " + std::to_string(fs.years[i - 1].year) +
                                        " is followed by " + std::to_string(fs.years[i].year) + ", and " +
                                        std::to_string(fs.years[i - 1].year + 1) + " is missing");
    }
  } else if (fs.extends.empty()) {
    pr.error(fs.pos_root, "the calendar needs 'years' (the years it covers, with their holidays) or 'extends'");
  }
  if (k.count("closures")) fs.closures = read_days(pr, k["closures"], "closures", "reason", true);
  if (k.count("extra_working_days"))
    fs.extra = read_days(pr, k["extra_working_days"], "extra_working_days", "reason", true);
  pr.throw_if_any();
  return fs;
}

std::string slurp(const std::string& path) {
  // The workflow loader's reader: regular files of at most 16 MiB only.
  std::string out, why;
  if (!text::read_file(path, out, why))
    throw Error(Error::Code::not_found, "cannot read calendar file " + path + ": " + why);
  return out;
}

StatutorySpec parse_statutory(const std::string& text, const std::string& file) {
  Problems pr(file, text);
  StatutorySpec ss;
  ss.file = file;
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    pr.error(pr.pos(e.mark), "YAML syntax error: " + e.msg);
    pr.throw_if_any();
  }
  if (!root.IsMap()) {
    pr.error(root.IsDefined() && !root.IsNull() ? pr.pos(root) : Pos{1, 1},
             "a statutory-holiday file must be a mapping with 'format', 'rule' and 'years'");
    pr.throw_if_any();
  }
  const Pos at = pr.pos(root);
  const std::string top = "the statutory-holiday file";
  auto k = read_keys(pr, root, {"format", "rule", "years"}, top);
  if (auto f = scalar(pr, k, "format", top, at, true))
    if (*f != std::to_string(kFormat))
      pr.error(pr.pos(k["format"]), "unsupported format " + shown(*f) + "; this version reads format " +
                                        std::to_string(kFormat));
  if (auto r = scalar(pr, k, "rule", top, at, true)) ss.rule = *r;
  if (auto it = k.find("years"); it == k.end() || !it->second.IsMap()) {
    pr.error(it == k.end() ? at : pr.pos(it->second), "'years' must be a mapping from year to its holidays");
  } else {
    for (auto y = it->second.begin(); y != it->second.end(); ++y) {
      const std::string ytext = y->first.IsScalar() ? y->first.Scalar() : "";
      const bool digits = ytext.size() == 4 && std::all_of(ytext.begin(), ytext.end(), ::isdigit);
      if (!digits || ytext[0] == '0') {
        pr.error(pr.pos(y->first), "a key of 'years' must be a year such as 2027, not " + describe(y->first));
        continue;
      }
      const int year = std::stoi(ytext);
      if (!ss.years.empty() && year != ss.years.back().first + 1) {
        pr.error(pr.pos(y->first), "year " + ytext + " does not follow " + std::to_string(ss.years.back().first) +
                                       "; list every year, in order");
        continue;
      }
      std::vector<DaySpec> days = read_days(pr, y->second, "years." + ytext, "name", true);
      for (const auto& d : days)
        if (d.from.year() != year || d.to.year() != year)
          pr.error(d.pos, "a holiday of " + ytext + " must lie in " + ytext);
      ss.years.emplace_back(year, std::move(days));
    }
  }
  pr.throw_if_any();
  return ss;
}

std::string years_text(int first, int last) {
  return first == last ? std::to_string(first) : std::to_string(first) + "-" + std::to_string(last);
}

}  // namespace jointreview::calendar_file
