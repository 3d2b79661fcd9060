// jreview audit verify|head: the audit trail's hash chain, for supervision
// (电子监察): proof that no recorded row was altered, removed or inserted.
#include <cstdio>
#include <memory>

#include "commands.h"
#include "jointreview/engine.h"
#include "jointreview/error.h"

namespace jreview {
namespace {

struct AuditOpts {
  std::string db = "jreview.db";
  std::string format = "table";
};

int verify(const AuditOpts& o) {
  const jointreview::AuditCheck c = jointreview::verify_audit_trail(o.db);
  if (o.format == "json") {
    std::printf("%s\n", jointreview::audit_check_json(c).c_str());
  } else if (c.ok) {
    std::printf("audit trail verified: %lld events, head seq %lld, hash %s\n", static_cast<long long>(c.events),
                static_cast<long long>(c.head_seq), c.head_hash.c_str());
  } else {
    std::printf("AUDIT TRAIL BROKEN at seq %lld: %s\n", static_cast<long long>(c.bad_seq), c.problem.c_str());
    std::printf("rows 1 to %lld verify (head hash %s)\n", static_cast<long long>(c.head_seq), c.head_hash.c_str());
  }
  return c.ok ? 0 : 1;
}

int head(const AuditOpts& o) {
  const jointreview::AuditCheck c = jointreview::verify_audit_trail(o.db);
  if (o.format == "json") {
    std::printf("%s\n", jointreview::audit_check_json(c).c_str());
    return c.ok ? 0 : 1;
  }
  if (!c.ok) {
    std::fprintf(stderr, "jreview: the chain breaks at seq %lld (%s); its verified part ends at seq %lld\n",
                 static_cast<long long>(c.bad_seq), c.problem.c_str(), static_cast<long long>(c.head_seq));
    return 1;
  }
  std::printf("%lld %s\n", static_cast<long long>(c.head_seq), c.head_hash.c_str());
  return 0;
}

void add_audit(CLI::App& app, Runner& run) {
  auto* audit = app.add_subcommand("audit", "The audit trail's hash chain: verify it, or print its head for the record");
  audit->require_subcommand(1);
  auto add = [&](const char* name, const char* help, int (*fn)(const AuditOpts&)) {
    auto o = std::make_shared<AuditOpts>();
    auto* sub = audit->add_subcommand(name, help);
    sub->add_option("--db", o->db, "The database (default jreview.db)");
    sub->add_option("--format", o->format, "table or json")->check(CLI::IsMember({"table", "json"}));
    sub->callback([o, fn, &run] {
      run = [o, fn] {
        try {
          return fn(*o);
        } catch (const jointreview::Error& e) {
          std::fprintf(stderr, "jreview: error: %s\n", e.what());
          return 2;
        }
      };
    });
  };
  add("verify", "Walk the chain: exit 0 with the count and the head, or name the first row that does not verify (exit 1)",
      verify);
  add("head", "Print the head's seq and hash (a supervisor records them to prove later that nothing before changed)",
      head);
}

struct CopyOpts {
  std::string db = "jreview.db";
  std::string file;
};

void add_backup(CLI::App& app, Runner& run) {
  auto o = std::make_shared<CopyOpts>();
  auto* b = app.add_subcommand("backup", "Write a consistent copy of the database, also while it is in use; verified");
  b->add_option("OUT", o->file, "The new file to write (must not exist)")->required();
  b->add_option("--db", o->db, "The database (default jreview.db)");
  b->callback([o, &run] {
    run = [o] {
      try {
        const auto r = jointreview::backup_database(o->db, o->file);
        std::printf("backup written to %s and verified: %lld events, last seq %lld, head hash %s\n", o->file.c_str(),
                    static_cast<long long>(r.events), static_cast<long long>(r.head_seq), r.head_hash.c_str());
        return 0;
      } catch (const jointreview::Error& e) {
        std::fprintf(stderr, "jreview: error: %s\n", e.what());
        return 2;
      }
    };
  });
  auto r = std::make_shared<CopyOpts>();
  auto* s = app.add_subcommand("restore", "Replace the database by a verified backup; refused while the database is in use");
  s->add_option("BACKUP", r->file, "The backup file")->required();
  s->add_option("--db", r->db, "The database to replace (default jreview.db)");
  s->callback([r, &run] {
    run = [r] {
      try {
        const auto x = jointreview::restore_database(r->file, r->db);
        std::printf("restored %s from %s: %lld events, last seq %lld, head hash %s\n", r->db.c_str(), r->file.c_str(),
                    static_cast<long long>(x.events), static_cast<long long>(x.head_seq), x.head_hash.c_str());
        return 0;
      } catch (const jointreview::Error& e) {
        std::fprintf(stderr, "jreview: error: %s\n", e.what());
        return 2;
      }
    };
  });
}

}  // namespace
JREVIEW_COMMAND(95, add_audit);
JREVIEW_COMMAND(96, add_backup);
}  // namespace jreview
