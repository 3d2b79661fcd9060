// The audit trail's hash chain, read from outside an engine: the store
// walks it (storage/sqlite_store.cpp); this is the public face.
#include <nlohmann/json.hpp>

#include "jointreview/engine.h"
#include "jointreview/error.h"
#include "storage/store.h"

namespace jointreview {

AuditCheck verify_audit_trail(const std::string& database) {
  if (database.empty()) throw Error(Error::Code::invalid_argument, "no database given");
  const storage::ChainCheck c = storage::verify_chain_file(database);
  AuditCheck a;
  a.ok = c.ok;
  a.events = c.events;
  a.head_seq = c.head_seq;
  a.head_hash = c.head_hash;
  a.bad_seq = c.bad_seq;
  a.problem = c.problem;
  return a;
}

BackupResult backup_database(const std::string& database, const std::string& out) {
  const storage::BackupCheck c = storage::backup_database(database, out);
  return BackupResult{c.events, c.head_seq, c.head_hash};
}

BackupResult restore_database(const std::string& backup, const std::string& database) {
  const storage::BackupCheck c = storage::restore_database(backup, database);
  return BackupResult{c.events, c.head_seq, c.head_hash};
}

std::string audit_check_json(const AuditCheck& c, int indent) {
  nlohmann::ordered_json o = {{"ok", c.ok},
                              {"events", c.events},
                              {"head_seq", c.head_seq},
                              {"head_hash", c.head_hash},
                              {"bad_seq", c.ok ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(c.bad_seq)},
                              {"problem", c.ok ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(c.problem)}};
  return o.dump(indent);
}

}  // namespace jointreview
