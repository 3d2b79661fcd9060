// SQLite implementation of the Store: WAL, a schema version with migrations,
// an append-only event log and current-state tables, prepared statements
// owned by the single writer.
#include <fcntl.h>
#include <openssl/evp.h>
#include <sqlite3.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <map>
#include <memory>
#include <thread>

#include "jointreview/error.h"
#include "storage/store.h"

namespace jointreview::storage {

namespace {

// SQLite's message, and for a failure of the file system what the system
// said and what to do: "disk I/O error" alone does not tell a full disk
// (or a file size limit) from a read-only one.
std::string sqlite_message(sqlite3* db) {
  if (!db) return "out of memory";
  std::string msg = sqlite3_errmsg(db);
  const int rc = sqlite3_extended_errcode(db);
  const int primary = rc & 0xff;
  // The system's errno is only the cause of a file system failure (it may
  // be left over from an earlier call otherwise).
  const bool io = primary == SQLITE_IOERR || primary == SQLITE_FULL || primary == SQLITE_READONLY ||
                  primary == SQLITE_CANTOPEN;
  if (!io) return msg;
  // SQLite keeps the errno of a failed write only sometimes (not of a
  // COMMIT's): the hint goes by SQLite's code as well.
  const int sys = sqlite3_system_errno(db);
  const std::string cause = sys ? std::string(" (") + std::strerror(sys) + ")" : std::string();
  const char* kept = "; the change was not made, and nothing committed before it is lost";
  if (primary == SQLITE_FULL || sys == ENOSPC || sys == EFBIG || sys == EDQUOT)
    return msg + cause + ": the disk is full or a file size limit was reached; free space and retry" + kept;
  if (rc == SQLITE_IOERR_WRITE || rc == SQLITE_IOERR_FSYNC || rc == SQLITE_IOERR_TRUNCATE ||
      rc == SQLITE_IOERR_SHMSIZE)
    return msg + cause +
           ": the file could not be written (a full disk, a file size limit or a failing device); free space and "
           "retry" + kept;
  if (primary == SQLITE_READONLY || sys == EROFS || sys == EACCES || sys == EPERM)
    return msg + cause +
           ": the database or its folder cannot be written (read-only file system or permissions); use --read-only "
           "to read it" + kept;
  return sys ? msg + " (" + std::strerror(sys) + ")" : msg;
}

[[noreturn]] void fail(sqlite3* db, const std::string& what) {
  throw Error(Error::Code::storage, what + ": " + (db ? sqlite_message(db) : "cannot open database"));
}

// Opens a connection (NOMUTEX, a 10 s busy timeout), or throws a storage
// error naming `what` and the file. Read-only, a database in WAL mode whose
// folder cannot be written (read-only media, another user's files) cannot
// create its shared-memory file; when no write-ahead log exists either, no
// writer can be running on it, so it is opened as immutable instead.
sqlite3* open_connection(const std::string& path, bool read_only, const std::string& what) {
  sqlite3* db = nullptr;
  const int flags = (read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) | SQLITE_OPEN_NOMUTEX;
  auto refuse = [&](sqlite3* h) {
    const std::string msg = h ? sqlite3_errmsg(h) : "out of memory";
    sqlite3_close(h);
    throw Error(Error::Code::storage, "cannot open " + what + " '" + path + "'" + (read_only ? " for reading" : "") +
                                          ": " + msg);
  };
  if (sqlite3_open_v2(path.c_str(), &db, flags, nullptr) != SQLITE_OK) refuse(db);
  sqlite3_busy_timeout(db, 10000);
  if (!read_only) return db;
  const int rc = sqlite3_exec(db, "PRAGMA schema_version", nullptr, nullptr, nullptr);
  const int primary = rc & 0xff;
  struct stat st;
  if ((primary != SQLITE_READONLY && primary != SQLITE_CANTOPEN) || ::stat((path + "-wal").c_str(), &st) == 0)
    return db;
  sqlite3_close(db);
  db = nullptr;
  std::string uri = "file:";
  for (unsigned char c : path) {
    if (c == '%' || c == '?' || c == '#' || c < 0x20) {
      static const char hex[] = "0123456789ABCDEF";
      uri += '%';
      uri += hex[c >> 4];
      uri += hex[c & 15];
    } else {
      uri += static_cast<char>(c);
    }
  }
  uri += "?immutable=1";
  if (sqlite3_open_v2(uri.c_str(), &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX, nullptr) !=
      SQLITE_OK)
    refuse(db);
  return db;
}

class Stmt {
 public:
  Stmt() = default;
  Stmt(sqlite3* db, const char* sql) : db_(db) {
    if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s_, nullptr) != SQLITE_OK)
      fail(db, std::string("prepare ") + sql);
  }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  Stmt(Stmt&& o) noexcept : db_(o.db_), s_(o.s_) { o.s_ = nullptr; }
  Stmt& operator=(Stmt&& o) noexcept {
    std::swap(db_, o.db_);
    std::swap(s_, o.s_);
    return *this;
  }
  ~Stmt() { sqlite3_finalize(s_); }

  // The bound strings must outlive the statement's next step(): callers bind
  // members of a batch that lives through the whole commit, so SQLite need
  // not copy them (SQLITE_STATIC).
  Stmt& bind(int i, const std::string& v) {
    sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
    return *this;
  }
  Stmt& bind_blob(int i, const std::string& v) {
    sqlite3_bind_blob(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
    return *this;
  }
  Stmt& bind_null(int i) {
    sqlite3_bind_null(s_, i);
    return *this;
  }
  Stmt& bind(int i, std::int64_t v) {
    sqlite3_bind_int64(s_, i, v);
    return *this;
  }
  // true while a row is available
  bool step() {
    int rc = sqlite3_step(s_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    // Reset before throwing: a statement left in its error state would keep
    // its old bindings (pointing into a batch that is gone) and fail again.
    const std::string msg = std::string("sqlite step: ") + sqlite_message(db_);
    sqlite3_reset(s_);
    throw Error(Error::Code::storage, msg);
  }
  void run() {
    step();
    reset();
  }
  // Every statement binds all its parameters before each step, so old
  // bindings need no clearing (the pointers they keep are never read again).
  void reset() { sqlite3_reset(s_); }
  std::string text(int col) const {
    const unsigned char* p = sqlite3_column_text(s_, col);
    return p ? std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(sqlite3_column_bytes(s_, col)))
             : std::string();
  }
  std::string blob(int col) const {
    const void* p = sqlite3_column_blob(s_, col);
    return p ? std::string(static_cast<const char*>(p), static_cast<std::size_t>(sqlite3_column_bytes(s_, col)))
             : std::string();
  }
  std::int64_t integer(int col) const { return sqlite3_column_int64(s_, col); }
  sqlite3_stmt* handle() const { return s_; }

 private:
  sqlite3* db_ = nullptr;
  sqlite3_stmt* s_ = nullptr;
};

// An event row's twelve record columns, from column 0 on (seq, instance,
// time, actor, kind, action, step, from_state, to_state, note, material,
// detail), as every query of the log selects them.
EventRecord read_event(const Stmt& s) {
  EventRecord e;
  e.seq = s.integer(0);
  e.instance = s.text(1);
  e.time = s.text(2);
  e.actor = s.text(3);
  e.kind = s.text(4);
  e.action = s.text(5);
  e.step = s.text(6);
  e.from = s.text(7);
  e.to = s.text(8);
  e.note = s.text(9);
  e.material = s.text(10);
  e.detail = s.text(11);
  return e;
}

// Walks the chain (see chain_hash) on any connection.
ChainCheck walk_chain(sqlite3* db) {
  ChainCheck c;
  c.head_hash = kChainGenesis;
  Stmt s(db,
         "SELECT seq,instance,time,actor,kind,action,step,from_state,to_state,note,material,detail,input,hash "
         "FROM events ORDER BY seq");
  std::int64_t expected = 1;
  while (s.step()) {
    EventRecord e = read_event(s);
    const std::string input = s.blob(12), stored = s.text(13);
    auto bad = [&](std::int64_t seq, std::string why) {
      c.ok = false;
      c.bad_seq = seq;
      c.problem = std::move(why);
    };
    if (e.seq != expected) {
      bad(expected, e.seq > expected ? "row " + std::to_string(expected) + " is missing (the next row is " +
                                           std::to_string(e.seq) + ")"
                                     : "row " + std::to_string(e.seq) + " is out of order");
      return c;
    }
    const std::string h = chain_hash(c.head_hash, e, input);
    if (stored != h) {
      bad(e.seq, stored.empty() ? "row " + std::to_string(e.seq) + " has no hash"
                                : "row " + std::to_string(e.seq) +
                                      " does not match its hash: it was altered, or a row before it was removed or "
                                      "replaced");
      return c;
    }
    c.head_hash = h;
    c.head_seq = e.seq;
    ++c.events;
    ++expected;
  }
  return c;
}

const char* const kAppendOnlyUpdate =
    "CREATE TRIGGER events_append_only_update BEFORE UPDATE ON events "
    "BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;";

// Schema migrations: index i upgrades version i to i+1.
const char* const kMigrations[] = {
    // 0 -> 1
    R"sql(
CREATE TABLE workflows(
  hash TEXT PRIMARY KEY,
  id TEXT NOT NULL,
  title TEXT NOT NULL,
  file TEXT NOT NULL,
  bundle TEXT NOT NULL,
  created TEXT NOT NULL DEFAULT (datetime('now'))
);
CREATE TABLE instances(
  id TEXT PRIMARY KEY,
  workflow_hash TEXT NOT NULL REFERENCES workflows(hash),
  project TEXT NOT NULL,
  applicant TEXT NOT NULL,
  green INTEGER NOT NULL,
  state TEXT NOT NULL,
  started TEXT NOT NULL,
  finished TEXT NOT NULL,
  snapshot BLOB NOT NULL
);
CREATE TABLE steps(
  instance TEXT NOT NULL,
  idx INTEGER NOT NULL,
  step TEXT NOT NULL,
  state TEXT NOT NULL,
  department TEXT NOT NULL,
  deadline TEXT NOT NULL,
  warned INTEGER NOT NULL,
  overdue INTEGER NOT NULL,
  PRIMARY KEY(instance, idx)
) WITHOUT ROWID;
CREATE TABLE events(
  seq INTEGER PRIMARY KEY,
  instance TEXT NOT NULL,
  time TEXT NOT NULL,
  actor TEXT NOT NULL,
  kind TEXT NOT NULL,
  action TEXT NOT NULL,
  step TEXT NOT NULL,
  from_state TEXT NOT NULL,
  to_state TEXT NOT NULL,
  note TEXT NOT NULL,
  material TEXT NOT NULL,
  detail TEXT NOT NULL
);
CREATE INDEX events_by_instance ON events(instance, seq);
CREATE TRIGGER events_append_only_update BEFORE UPDATE ON events
  BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
CREATE TRIGGER events_append_only_delete BEFORE DELETE ON events
  BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
)sql",
    // 1 -> 2: the current-state tables become a checkpoint of the log. Input
    // rows carry what the state machine was given, so that what happened
    // after the checkpoint can be replayed; a version-1 database was always
    // up to date, so its checkpoint is its last event.
    R"sql(
ALTER TABLE events ADD COLUMN input BLOB;
CREATE TABLE meta(
  key TEXT PRIMARY KEY,
  value INTEGER NOT NULL
);
INSERT INTO meta(key, value) VALUES('checkpoint_seq', (SELECT COALESCE(MAX(seq), 0) FROM events));
)sql",
    // 2 -> 3: the database holds its calendars, and instants are written as
    // civil dates, so that no calendar data can move them. A database with
    // instances keeps time base 0 until the runtime has converted its rows
    // (Store::convert_time_base), which it does when it first opens it.
    R"sql(
CREATE TABLE calendars(
  id TEXT NOT NULL,
  version TEXT NOT NULL,
  source TEXT NOT NULL,
  bundle TEXT NOT NULL,
  stored TEXT NOT NULL DEFAULT (datetime('now')),
  PRIMARY KEY(id, version)
);
INSERT INTO meta(key, value) VALUES('time_base', CASE WHEN EXISTS(SELECT 1 FROM instances) OR
  EXISTS(SELECT 1 FROM events WHERE input IS NOT NULL) THEN 0 ELSE 1 END);
)sql",
    // 3 -> 4: every event row carries a hash chained to the previous row's
    // (Store::verify_chain); the rows already there get theirs right after
    // this step (SqliteStore::fill_chain), in the same open.
    R"sql(
ALTER TABLE events ADD COLUMN hash TEXT;
)sql",
    // 4 -> 5: the platform API. An instance's version (its accepted changes:
    // the input rows of its log up to the checkpoint), its workflow id and
    // business key, the claims on its steps; the outcomes of calls made with
    // a request id.
    R"sql(
ALTER TABLE instances ADD COLUMN workflow_id TEXT NOT NULL DEFAULT '';
ALTER TABLE instances ADD COLUMN key TEXT NOT NULL DEFAULT '';
ALTER TABLE instances ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE instances ADD COLUMN claims TEXT NOT NULL DEFAULT '';
UPDATE instances SET
  workflow_id = COALESCE((SELECT id FROM workflows WHERE hash = instances.workflow_hash), ''),
  version = (SELECT count(*) FROM events WHERE events.instance = instances.id AND input IS NOT NULL AND
             seq <= (SELECT value FROM meta WHERE key = 'checkpoint_seq'));
CREATE INDEX instances_by_key ON instances(workflow_id, key) WHERE key <> '';
CREATE TABLE requests(
  id TEXT PRIMARY KEY,
  instance TEXT NOT NULL,
  call TEXT NOT NULL,
  code INTEGER NOT NULL,
  reason TEXT NOT NULL,
  message TEXT NOT NULL,
  version INTEGER NOT NULL,
  time TEXT NOT NULL
);
CREATE INDEX requests_by_time ON requests(time);
ALTER TABLE instances ADD COLUMN deadline TEXT NOT NULL DEFAULT '';
ALTER TABLE instances ADD COLUMN approved INTEGER NOT NULL DEFAULT 0;
ALTER TABLE instances ADD COLUMN total INTEGER NOT NULL DEFAULT 0;
ALTER TABLE instances ADD COLUMN flags TEXT NOT NULL DEFAULT '';
CREATE INDEX instances_by_started ON instances(started, id);
CREATE INDEX instances_by_state ON instances(state, started, id);
CREATE INDEX instances_by_workflow ON instances(workflow_id, started, id);
CREATE INDEX instances_by_deadline ON instances(deadline, id);
CREATE TABLE instance_flags(
  flag TEXT NOT NULL,
  instance TEXT NOT NULL,
  PRIMARY KEY(flag, instance)
) WITHOUT ROWID;
CREATE TABLE open_work(
  department TEXT NOT NULL,
  instance TEXT NOT NULL,
  PRIMARY KEY(department, instance)
) WITHOUT ROWID;
INSERT INTO meta(key, value) VALUES('query_tables', CASE WHEN EXISTS(SELECT 1 FROM instances) THEN 0 ELSE 1 END);
CREATE TABLE deployments(
  id TEXT NOT NULL,
  version INTEGER NOT NULL,
  hash TEXT NOT NULL REFERENCES workflows(hash),
  deployed TEXT NOT NULL,
  PRIMARY KEY(id, version)
);
)sql",
    // 5 -> 6: the instances the engine holds in memory (resident = 1: running,
    // or with a timer or a claim pending); the others are read on demand.
    // Rows of a database from before are all resident until a checkpoint
    // rewrites them.
    R"sql(
ALTER TABLE instances ADD COLUMN resident INTEGER NOT NULL DEFAULT 1;
CREATE INDEX instances_resident ON instances(id) WHERE resident = 1;
CREATE INDEX instances_by_finished ON instances(finished, id) WHERE resident = 0;
)sql",
    // 6 -> 7: access tokens (jreview serve), kept as hashes of their secrets;
    // webhooks and how far each one's delivery got.
    R"sql(
CREATE TABLE tokens(
  id TEXT PRIMARY KEY,
  actor TEXT NOT NULL,
  name TEXT NOT NULL DEFAULT '',
  hash TEXT NOT NULL UNIQUE,
  created TEXT NOT NULL,
  expires TEXT NOT NULL DEFAULT '',
  revoked TEXT NOT NULL DEFAULT ''
);
CREATE TABLE webhooks(
  id TEXT PRIMARY KEY,
  url TEXT NOT NULL,
  kinds TEXT NOT NULL DEFAULT '',
  secret TEXT NOT NULL,
  created TEXT NOT NULL,
  removed TEXT NOT NULL DEFAULT '',
  delivered_seq INTEGER NOT NULL DEFAULT 0,
  failures INTEGER NOT NULL DEFAULT 0,
  last_error TEXT NOT NULL DEFAULT '',
  last_attempt TEXT NOT NULL DEFAULT ''
);
)sql",
};

// The writer's lock: an OS lock on PATH.lock held while the store is open
// (released by the kernel however the process ends), with the holder's pid
// and host written in it for the message another writer gets.
class WriterLock {
 public:
  WriterLock(const std::string& path, long timeout_ms) {
    const std::string lock = path + ".lock";
    fd_ = ::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) {
      const int err = errno;
      throw Error(Error::Code::storage,
                  "cannot open the lock file '" + lock + "' for writing: " + std::strerror(err) +
                      (err == EACCES || err == EPERM || err == EROFS
                           ? "; the database's folder or lock file cannot be written (read-only file system or "
                             "permissions): use --read-only to read the database"
                           : ""));
    }
    const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    auto pause = std::chrono::microseconds(200);
    while (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      if (errno != EWOULDBLOCK && errno != EINTR) {
        const std::string why = std::strerror(errno);
        ::close(fd_);
        throw Error(Error::Code::storage, "cannot lock '" + lock + "': " + why);
      }
      if (std::chrono::steady_clock::now() >= until) {
        char buf[256] = {0};
        const ssize_t n = ::pread(fd_, buf, sizeof buf - 1, 0);
        std::string holder = n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
        while (!holder.empty() && (holder.back() == '\n' || holder.back() == ' ')) holder.pop_back();
        ::close(fd_);
        throw Error(Error::Code::storage,
                    "database '" + path + "' is in use by another JointReview engine" +
                        (holder.empty() ? std::string() : " (" + holder + ")") + "; waited " +
                        std::to_string(timeout_ms / 1000) + " s for it to finish. Only one engine writes a database "
                        "at a time; commands with --read-only can read it meanwhile");
      }
      std::this_thread::sleep_for(pause);
      pause = std::min(pause * 2, std::chrono::microseconds(5000));
    }
    char host[256] = {0};
    ::gethostname(host, sizeof host - 1);
    const std::string who = "pid " + std::to_string(::getpid()) + " on " + host + "\n";
    if (::ftruncate(fd_, 0) == 0) {
      const ssize_t w = ::pwrite(fd_, who.data(), who.size(), 0);
      (void)w;  // the text only helps the message of a waiting writer
    }
  }
  WriterLock(const WriterLock&) = delete;
  WriterLock& operator=(const WriterLock&) = delete;
  ~WriterLock() {
    if (fd_ >= 0) ::close(fd_);  // releases the lock
  }

 private:
  int fd_ = -1;
};

// ",a,b," for a list of flags (a LIKE-free form that reads back easily).
std::string joined(const std::vector<std::string>& v) {
  if (v.empty()) return "";
  std::string out = ",";
  for (const auto& x : v) out += x + ",";
  return out;
}

class SqliteStore final : public Store {
 public:
  SqliteStore(const std::string& path, const std::string& synchronous, bool read_only, long lock_timeout_ms)
      : path_(path), read_only_(read_only) {
    if (const std::string why = unusable_database_path(path); !why.empty())
      throw Error(Error::Code::invalid_argument, why);
    if (!read_only) lock_ = std::make_unique<WriterLock>(path, lock_timeout_ms);
    db_ = open_connection(path, read_only, "database");
    try {
      refuse_foreign(path);
      if (!read_only) {
        exec("PRAGMA journal_mode=WAL");
        if (synchronous == "normal")
          exec("PRAGMA synchronous=NORMAL");
        else if (synchronous == "full")
          exec("PRAGMA synchronous=FULL");
        else
          throw Error(Error::Code::invalid_argument, "synchronous must be 'full' or 'normal', not '" + synchronous + "'");
      }
      exec("PRAGMA foreign_keys=ON");
      if (read_only) {
        const int v = schema_version(), latest = latest_schema();
        if (v != latest)
          throw Error(Error::Code::storage,
                      "database '" + path + "' has schema version " + std::to_string(v) +
                          (v > latest ? ", newer than this jreview understands; upgrade jreview"
                                      : ", older than this jreview's " + std::to_string(latest) +
                                            "; open it once without --read-only to upgrade it"));
      } else {
        migrate(path);
      }
      prepare();
      load_head();
      if (!read_only) fill_chain();
    } catch (const Error& e) {
      stmts_.clear();
      sqlite3_close(db_);
      db_ = nullptr;
      // SQLite's own messages name no file.
      if (e.code() == Error::Code::storage && std::string(e.what()).find(path) == std::string::npos)
        throw Error(Error::Code::storage, "database '" + path + "': " + e.what());
      throw;
    } catch (...) {
      stmts_.clear();
      sqlite3_close(db_);
      db_ = nullptr;
      throw;
    }
  }

  ~SqliteStore() override {
    stmts_.clear();
    sqlite3_close(db_);
  }

  void commit(Batch& b) override {
    if (b.empty()) return;
    if (read_only_) throw Error(Error::Code::invalid_argument, "the database is open read-only: nothing can be written");
    const std::int64_t seq = last_seq_;
    const std::string head = head_;
    try {
      exec("BEGIN IMMEDIATE");
      write(b);
      exec("COMMIT");
    } catch (const Error& e) {
      sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
      last_seq_ = seq;  // the chain's head is where the database still has it
      head_ = head;
      // SQLite's message names no file ("attempt to write a readonly database").
      if (e.code() == Error::Code::storage && std::string(e.what()).find(path_) == std::string::npos)
        throw Error(Error::Code::storage, "database '" + path_ + "': " + e.what());
      throw;
    } catch (...) {
      sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
      last_seq_ = seq;
      head_ = head;
      throw;
    }
  }

  ChainCheck verify_chain() override { return walk_chain(db_); }

  QueryResult query(const QueryFilter& f) override {
    // One statement per filter shape; the values are bound, never spliced.
    std::string where = " WHERE 1";
    std::vector<std::string> args;
    auto add = [&](const char* clause, const std::string& v) {
      where += clause;
      args.push_back(v);
    };
    if (!f.state.empty()) add(" AND i.state=?", f.state);
    if (!f.workflow_id.empty()) add(" AND i.workflow_id=?", f.workflow_id);
    if (!f.project.empty()) {
      std::string like = "%";
      for (char c : f.project) {
        if (c == '%' || c == '_' || c == '\\') like += '\\';
        like += c;
      }
      add(" AND i.project LIKE ? ESCAPE '\\'", like + "%");
    }
    if (!f.applicant.empty()) add(" AND i.applicant=?", f.applicant);
    if (f.green >= 0) add(" AND i.green=?", f.green ? "1" : "0");
    if (!f.started_from.empty()) add(" AND substr(i.started,1,10)>=?", f.started_from);
    if (!f.started_to.empty()) add(" AND substr(i.started,1,10)<=?", f.started_to);
    if (!f.finished_from.empty()) add(" AND i.finished<>'' AND substr(i.finished,1,10)>=?", f.finished_from);
    if (!f.finished_to.empty()) add(" AND i.finished<>'' AND substr(i.finished,1,10)<=?", f.finished_to);
    if (!f.department.empty())
      add(" AND EXISTS(SELECT 1 FROM open_work w WHERE w.department=? AND w.instance=i.id)", f.department);
    if (!f.flag.empty()) add(" AND EXISTS(SELECT 1 FROM instance_flags g WHERE g.flag=? AND g.instance=i.id)", f.flag);
    const std::string sort = f.by_deadline ? "(CASE WHEN i.deadline='' THEN '9999-12-31~' ELSE i.deadline END)"
                                           : "i.started";
    QueryResult out;
    {
      Stmt c(db_, ("SELECT count(*) FROM instances i" + where).c_str());
      for (std::size_t k = 0; k < args.size(); ++k) c.bind(static_cast<int>(k + 1), args[k]);
      if (c.step()) out.total = c.integer(0);
    }
    std::string page = where;
    std::vector<std::string> page_args = args;
    if (!f.after_id.empty()) {
      page += " AND (" + sort + ">? OR (" + sort + "=? AND i.id>?))";
      page_args.insert(page_args.end(), {f.after_key, f.after_key, f.after_id});
    }
    Stmt s(db_, ("SELECT i.id,i.workflow_id,i.project,i.applicant,i.state,i.started,i.finished,i.deadline,i.key,"
                 "i.flags,i.green,i.version,i.approved,i.total," +
                 sort + " FROM instances i" + page + " ORDER BY " + sort + ", i.id LIMIT ?")
                    .c_str());
    std::size_t k = 0;
    for (; k < page_args.size(); ++k) s.bind(static_cast<int>(k + 1), page_args[k]);
    s.bind(static_cast<int>(k + 1), static_cast<std::int64_t>(f.limit + 1));
    while (s.step()) {
      if (out.rows.size() == f.limit) {
        out.more = true;
        break;
      }
      QueryRow r;
      r.id = s.text(0);
      r.workflow_id = s.text(1);
      r.project = s.text(2);
      r.applicant = s.text(3);
      r.state = s.text(4);
      r.started = s.text(5);
      r.finished = s.text(6);
      r.deadline = s.text(7);
      r.key = s.text(8);
      r.flags = s.text(9);
      r.green = s.integer(10) != 0;
      r.version = s.integer(11);
      r.approved = static_cast<int>(s.integer(12));
      r.total = static_cast<int>(s.integer(13));
      r.sort_key = s.text(14);
      out.rows.push_back(std::move(r));
    }
    return out;
  }

  std::vector<TokenRecord> tokens() override {
    Stmt s(db_, "SELECT id,actor,name,hash,created,expires,revoked FROM tokens ORDER BY rowid");
    std::vector<TokenRecord> out;
    while (s.step()) out.push_back(TokenRecord{s.text(0), s.text(1), s.text(2), s.text(3), s.text(4), s.text(5), s.text(6)});
    return out;
  }

  void put_token(const TokenRecord& t) override {
    if (read_only_) throw Error(Error::Code::invalid_argument, "the database is open read-only", "read_only");
    Stmt s(db_,
           "INSERT INTO tokens(id,actor,name,hash,created,expires,revoked) VALUES(?1,?2,?3,?4,?5,?6,?7) "
           "ON CONFLICT(id) DO UPDATE SET name=excluded.name, expires=excluded.expires, revoked=excluded.revoked");
    s.bind(1, t.id).bind(2, t.actor).bind(3, t.name).bind(4, t.hash).bind(5, t.created).bind(6, t.expires)
        .bind(7, t.revoked).run();
  }

  std::vector<WebhookRecord> webhooks() override {
    Stmt s(db_,
           "SELECT id,url,kinds,secret,created,removed,delivered_seq,failures,last_error,last_attempt FROM webhooks "
           "ORDER BY rowid");
    std::vector<WebhookRecord> out;
    while (s.step())
      out.push_back(WebhookRecord{s.text(0), s.text(1), s.text(2), s.text(3), s.text(4), s.text(5), s.integer(6),
                                  s.integer(7), s.text(8), s.text(9)});
    return out;
  }

  void put_webhook(const WebhookRecord& h) override {
    if (read_only_) throw Error(Error::Code::invalid_argument, "the database is open read-only", "read_only");
    Stmt s(db_,
           "INSERT INTO webhooks(id,url,kinds,secret,created,removed,delivered_seq,failures,last_error,last_attempt) "
           "VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10) ON CONFLICT(id) DO UPDATE SET removed=excluded.removed, "
           "delivered_seq=excluded.delivered_seq, failures=excluded.failures, last_error=excluded.last_error, "
           "last_attempt=excluded.last_attempt");
    s.bind(1, h.id).bind(2, h.url).bind(3, h.kinds).bind(4, h.secret).bind(5, h.created).bind(6, h.removed)
        .bind(7, h.delivered_seq).bind(8, h.failures).bind(9, h.last_error).bind(10, h.last_attempt).run();
  }

  std::vector<DeploymentRecord> deployments() override {
    Stmt s(db_, "SELECT id,version,hash,deployed FROM deployments ORDER BY id, version");
    std::vector<DeploymentRecord> out;
    while (s.step()) out.push_back(DeploymentRecord{s.text(0), s.integer(1), s.text(2), s.text(3)});
    return out;
  }

  std::vector<RequestRecord> requests(const std::string& since, bool prune) override {
    if (prune && !read_only_) {
      Stmt d(db_, "DELETE FROM requests WHERE time < ?1");
      d.bind(1, since).run();
    }
    Stmt s(db_, "SELECT id,instance,call,code,reason,message,version,time FROM requests WHERE time >= ?1");
    s.bind(1, since);
    std::vector<RequestRecord> out;
    while (s.step())
      out.push_back(RequestRecord{s.text(0), s.text(1), s.text(2), static_cast<int>(s.integer(3)), s.text(4),
                                  s.text(5), s.integer(6), s.text(7)});
    return out;
  }

  std::optional<std::int64_t> setting(const std::string& key) override {
    Stmt s(db_, "SELECT value FROM meta WHERE key=?1");
    s.bind(1, key);
    if (!s.step()) return std::nullopt;
    return s.integer(0);
  }

  void keep_setting(const std::string& key, std::int64_t value) override {
    if (read_only_) return;  // read as it is; nothing stored
    Stmt s(db_, "INSERT OR IGNORE INTO meta(key, value) VALUES(?1, ?2)");
    s.bind(1, key).bind(2, value).run();
  }

  void put_setting(const std::string& key, std::int64_t value) override {
    if (read_only_) return;
    Stmt s(db_, "INSERT INTO meta(key, value) VALUES(?1, ?2) ON CONFLICT(key) DO UPDATE SET value=excluded.value");
    s.bind(1, key).bind(2, value).run();
  }

  void convert_time_base(const std::vector<std::pair<std::int64_t, std::string>>& inputs, Batch& b) override {
    exec("BEGIN IMMEDIATE");
    try {
      // The blobs are how the engine reads the rows back, not part of the
      // record: the append-only guard steps aside for them, inside this
      // transaction only.
      exec("DROP TRIGGER events_append_only_update");
      {
        Stmt up(db_, "UPDATE events SET input=?2 WHERE seq=?1");
        for (const auto& [seq, blob] : inputs) up.bind(1, seq).bind_blob(2, blob).run();
      }
      // The chain covers the blobs: it is computed again over the rows the
      // conversion rewrote, before anything new is appended to it.
      if (!inputs.empty()) rechain(inputs.front().first);
      exec(kAppendOnlyUpdate);
      write(b);
      exec("UPDATE meta SET value=1 WHERE key='time_base'");
      exec("COMMIT");
    } catch (...) {
      sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
      load_head();
      throw;
    }
  }

  int time_base() override {
    Stmt s(db_, "SELECT value FROM meta WHERE key='time_base'");
    return s.step() ? static_cast<int>(s.integer(0)) : 1;
  }

  std::vector<CalendarRecord> calendars(bool all) override {
    Stmt s(db_, all ? "SELECT id,version,source,bundle,stored FROM calendars ORDER BY rowid"
                    : "SELECT id,version,source,bundle,stored FROM calendars c WHERE rowid = "
                      "(SELECT MAX(rowid) FROM calendars WHERE id=c.id) ORDER BY id");
    std::vector<CalendarRecord> out;
    while (s.step()) out.push_back(CalendarRecord{s.text(0), s.text(1), s.text(2), s.text(3), s.text(4)});
    return out;
  }

 private:
  // A batch's rows, inside the caller's transaction.
  void write(Batch& b) {
    {
      for (const auto& w : b.workflows)
        st("ins_wf").bind(1, w.hash).bind(2, w.id).bind(3, w.title).bind(4, w.file).bind(5, w.bundle).run();
      for (const auto& c : b.calendars)
        st("ins_cal").bind(1, c.id).bind(2, c.version).bind(3, c.source).bind(4, c.bundle).run();
      for (const auto& i : b.instances)
        st("up_inst")
            .bind(1, i.id)
            .bind(2, i.workflow_hash)
            .bind(3, i.project)
            .bind(4, i.applicant)
            .bind(5, std::int64_t{i.green ? 1 : 0})
            .bind(6, i.state)
            .bind(7, i.started)
            .bind(8, i.finished)
            .bind_blob(9, i.snapshot)
            .bind(10, i.workflow_id)
            .bind(11, i.key)
            .bind(12, i.version)
            .bind(13, i.claims)
            .bind(14, i.deadline)
            .bind(15, std::int64_t{i.approved})
            .bind(16, std::int64_t{i.total})
            .bind(17, joined(i.flags))
            .bind(18, std::int64_t{i.resident ? 1 : 0})
            .run();
      for (const auto& i : b.instances) {
        if (!i.query_rows) continue;
        st("del_flags").bind(1, i.id).run();
        for (const auto& f : i.flags) st("ins_flag").bind(1, f).bind(2, i.id).run();
        st("del_work").bind(1, i.id).run();
        for (const auto& d : i.open_departments) st("ins_work").bind(1, d).bind(2, i.id).run();
      }
      for (const auto& d : b.deployments)
        st("ins_dep").bind(1, d.id).bind(2, d.version).bind(3, d.hash).bind(4, d.deployed).run();
      for (const auto& r : b.requests)
        st("ins_req")
            .bind(1, r.id)
            .bind(2, r.instance)
            .bind(3, r.call)
            .bind(4, std::int64_t{r.code})
            .bind(5, r.reason)
            .bind(6, r.message)
            .bind(7, r.version)
            .bind(8, r.time)
            .run();
      for (const auto& s : b.steps)
        st("up_step")
            .bind(1, s.instance)
            .bind(2, std::int64_t{s.index})
            .bind(3, s.step)
            .bind(4, s.state)
            .bind(5, s.department)
            .bind(6, s.deadline)
            .bind(7, std::int64_t{s.warned ? 1 : 0})
            .bind(8, std::int64_t{s.overdue ? 1 : 0})
            .run();
      Stmt& ev = st("ins_ev");
      static const std::string kNoInput;
      for (std::size_t k = 0; k < b.events.size(); ++k) {
        EventRecord& e = b.events[k];
        const bool has_input = k < b.inputs.size() && !b.inputs[k].empty();
        if (has_input)
          ev.bind_blob(12, b.inputs[k]);
        else
          ev.bind_null(12);
        e.seq = last_seq_ + 1;
        const std::string hash = chain_hash(head_, e, has_input ? b.inputs[k] : kNoInput);
        ev.bind(13, e.seq).bind(14, hash);
        ev.bind(1, e.instance)
            .bind(2, e.time)
            .bind(3, e.actor)
            .bind(4, e.kind)
            .bind(5, e.action)
            .bind(6, e.step)
            .bind(7, e.from)
            .bind(8, e.to)
            .bind(9, e.note)
            .bind(10, e.material)
            .bind(11, e.detail)
            .run();
        last_seq_ = e.seq;
        head_ = hash;
      }
      if (b.checkpoint_seq) st("set_ckpt").bind(1, b.events.empty() ? *b.checkpoint_seq : b.events.back().seq).run();
    }
  }

 public:

  std::optional<WorkflowRecord> workflow(const std::string& hash) override {
    Stmt& s = st("get_wf");
    s.bind(1, hash);
    std::optional<WorkflowRecord> out;
    if (s.step()) out = WorkflowRecord{s.text(0), s.text(1), s.text(2), s.text(3), s.text(4)};
    s.reset();
    return out;
  }

  std::vector<InstanceRecord> instances() override { return instance_rows(st("all_inst")); }

  static std::vector<InstanceRecord> instance_rows(Stmt& s) {
    std::vector<InstanceRecord> out;
    while (s.step()) out.push_back(read_instance(s));
    s.reset();
    return out;
  }

  std::vector<InstanceRecord> resident_instances() override { return instance_rows(st("resident_inst")); }

  std::optional<InstanceRecord> instance(const std::string& id) override {
    Stmt& s = st("one_inst");
    s.bind(1, id);
    std::vector<InstanceRecord> r = instance_rows(s);
    if (r.empty()) return std::nullopt;
    return std::move(r.front());
  }

  std::optional<InstanceRecord> instance_by_key(const std::string& workflow_id, const std::string& key) override {
    Stmt& s = st("key_inst");
    s.bind(1, workflow_id).bind(2, key);
    std::vector<InstanceRecord> r = instance_rows(s);
    if (r.empty()) return std::nullopt;
    return std::move(r.front());
  }

  std::vector<InstanceRecord> finished_between(const std::string& from, const std::string& to) override {
    Stmt& s = st("finished_inst");
    s.bind(1, from).bind(2, to);
    return instance_rows(s);
  }

  std::vector<InputRow> inputs_of(const std::string& instance) override {
    Stmt& s = st("inputs_of");
    s.bind(1, instance);
    std::vector<InputRow> out;
    while (s.step()) out.push_back(InputRow{s.integer(0), s.text(1), s.text(2), s.blob(3)});
    s.reset();
    return out;
  }

  std::map<std::string, std::int64_t> settled_by_workflow() override {
    Stmt s(db_, "SELECT workflow_hash, count(*) FROM instances WHERE resident = 0 GROUP BY workflow_hash");
    std::map<std::string, std::int64_t> out;
    while (s.step()) out[s.text(0)] = s.integer(1);
    return out;
  }

  std::int64_t last_number(const std::string& prefix) override {
    Stmt& s = st("last_number");
    s.bind(1, prefix).bind(2, static_cast<std::int64_t>(prefix.size() + 1));
    std::int64_t n = 0;
    if (s.step() && sqlite3_column_type(s.handle(), 0) != SQLITE_NULL) n = s.integer(0);
    s.reset();
    return n;
  }

  std::vector<EventRecord> events(const std::string& instance) override {
    Stmt& s = st("get_ev");
    s.bind(1, instance);
    std::vector<EventRecord> out;
    while (s.step()) {
      EventRecord e = read_event(s);
      out.push_back(std::move(e));
    }
    s.reset();
    return out;
  }

  std::vector<EventRecord> events_after(std::int64_t seq, std::size_t limit) override {
    Stmt& s = st("ev_after");
    s.bind(1, seq).bind(2, static_cast<std::int64_t>(limit));
    std::vector<EventRecord> out;
    while (s.step()) out.push_back(read_event(s));
    s.reset();
    return out;
  }

  std::int64_t checkpoint_seq() override {
    Stmt& s = st("get_ckpt");
    std::int64_t n = 0;
    if (s.step()) n = s.integer(0);
    s.reset();
    return n;
  }

  std::vector<InputRow> inputs_after(std::int64_t seq) override {
    Stmt& s = st("inputs_after");
    s.bind(1, seq);
    std::vector<InputRow> out;
    while (s.step()) out.push_back(InputRow{s.integer(0), s.text(1), s.text(2), s.blob(3)});
    s.reset();
    return out;
  }

 private:
  int schema_version() {
    Stmt s(db_, "PRAGMA user_version");
    return s.step() ? static_cast<int>(s.integer(0)) : 0;
  }

  void exec(const char* sql) {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
      std::string msg = sqlite_message(db_);
      sqlite3_free(err);
      throw Error(Error::Code::storage, std::string("sqlite: ") + msg + " (in: " + std::string(sql).substr(0, 60) + ")");
    }
  }

  static int latest_schema() { return static_cast<int>(sizeof(kMigrations) / sizeof(kMigrations[0])); }

  // A SQLite database with tables of its own and no schema version is some
  // other program's: refused before anything (WAL mode, our tables) touches it.
  void refuse_foreign(const std::string& path) {
    if (schema_version() != 0) return;
    Stmt s(db_, "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' ORDER BY name LIMIT 3");
    std::string names;
    while (s.step()) names += (names.empty() ? "'" : ", '") + s.text(0) + "'";
    if (!names.empty())
      throw Error(Error::Code::storage, "'" + path + "' is not a JointReview database (it has other tables: " + names +
                                            "); give a new file or a JointReview database");
  }

  void migrate(const std::string& path) {
    int v = schema_version();
    const int latest = latest_schema();
    if (v > latest)
      throw Error(Error::Code::storage, "database '" + path + "' has schema version " + std::to_string(v) +
                                            ", newer than this jreview understands (" + std::to_string(latest) +
                                            "); upgrade jreview");
    while (v < latest) {
      exec("BEGIN IMMEDIATE");
      try {
        exec(kMigrations[v]);
        ++v;
        exec(("PRAGMA user_version=" + std::to_string(v)).c_str());
        exec("COMMIT");
      } catch (...) {
        sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
        throw;
      }
    }
  }

  void prepare() {
    add("ins_wf", "INSERT OR IGNORE INTO workflows(hash,id,title,file,bundle) VALUES(?1,?2,?3,?4,?5)");
    add("up_inst",
        "INSERT INTO instances(id,workflow_hash,project,applicant,green,state,started,finished,snapshot,workflow_id,"
        "key,version,claims,deadline,approved,total,flags,resident) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,"
        "?14,?15,?16,?17,?18) ON CONFLICT(id) DO UPDATE SET state=excluded.state, finished=excluded.finished, "
        "snapshot=excluded.snapshot, version=excluded.version, claims=excluded.claims, deadline=excluded.deadline, "
        "approved=excluded.approved, total=excluded.total, flags=excluded.flags, resident=excluded.resident");
    add("del_flags", "DELETE FROM instance_flags WHERE instance=?1");
    add("ins_flag", "INSERT OR IGNORE INTO instance_flags(flag,instance) VALUES(?1,?2)");
    add("del_work", "DELETE FROM open_work WHERE instance=?1");
    add("ins_work", "INSERT OR IGNORE INTO open_work(department,instance) VALUES(?1,?2)");
    add("ins_dep", "INSERT INTO deployments(id,version,hash,deployed) VALUES(?1,?2,?3,?4)");
    add("ins_req",
        "INSERT OR IGNORE INTO requests(id,instance,call,code,reason,message,version,time) "
        "VALUES(?1,?2,?3,?4,?5,?6,?7,?8)");
    add("up_step",
        "INSERT INTO steps(instance,idx,step,state,department,deadline,warned,overdue) VALUES(?1,?2,?3,?4,?5,?6,?7,?8) "
        "ON CONFLICT(instance,idx) DO UPDATE SET state=excluded.state, deadline=excluded.deadline, "
        "warned=excluded.warned, overdue=excluded.overdue");
    add("ins_ev",
        "INSERT INTO events(instance,time,actor,kind,action,step,from_state,to_state,note,material,detail,input,seq,"
        "hash) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14)");
    add("ins_cal", "INSERT OR REPLACE INTO calendars(id,version,source,bundle) VALUES(?1,?2,?3,?4)");
    add("set_ckpt", "UPDATE meta SET value=?1 WHERE key='checkpoint_seq'");
    add("get_ckpt", "SELECT value FROM meta WHERE key='checkpoint_seq'");
    add("inputs_after", "SELECT seq,instance,time,input FROM events WHERE seq>?1 AND input IS NOT NULL ORDER BY seq");
    add("get_wf", "SELECT hash,id,title,file,bundle FROM workflows WHERE hash=?1");
    const std::string inst_cols =
        "SELECT id,workflow_hash,project,applicant,green,state,started,finished,snapshot,workflow_id,key,version,"
        "claims,resident FROM instances ";
    add("all_inst", (inst_cols + "ORDER BY rowid").c_str());
    add("resident_inst", (inst_cols + "WHERE resident = 1 ORDER BY id").c_str());
    add("one_inst", (inst_cols + "WHERE id = ?1").c_str());
    add("key_inst", (inst_cols + "WHERE workflow_id = ?1 AND key = ?2 AND key <> ''").c_str());
    add("finished_inst",
        (inst_cols + "WHERE resident = 0 AND finished >= ?1 AND started <= ?2 ORDER BY id").c_str());
    add("inputs_of", "SELECT seq,instance,time,input FROM events WHERE instance=?1 AND input IS NOT NULL ORDER BY seq");
    add("last_number",
        "SELECT max(CAST(substr(id, ?2) AS INTEGER)) FROM instances WHERE id > ?1 AND id < ?1 || ':' AND "
        "substr(id, ?2) NOT GLOB '*[^0-9]*'");
    add("get_ev",
        "SELECT seq,instance,time,actor,kind,action,step,from_state,to_state,note,material,detail FROM events "
        "WHERE instance=?1 ORDER BY seq");
    add("ev_after",
        "SELECT seq,instance,time,actor,kind,action,step,from_state,to_state,note,material,detail FROM events "
        "WHERE seq>?1 ORDER BY seq LIMIT ?2");
  }

  // The chain's head as the database has it.
  void load_head() {
    Stmt s(db_, "SELECT seq, COALESCE(hash, '') FROM events ORDER BY seq DESC LIMIT 1");
    if (s.step()) {
      last_seq_ = s.integer(0);
      head_ = s.text(1);
    } else {
      last_seq_ = 0;
      head_ = kChainGenesis;
    }
  }

  // Rows without a hash (a database from before schema 4) get theirs, in
  // order, in one transaction. Looked for once per database (the search
  // reads the whole log): `chain_filled` in meta says it was done, and every
  // row written since has its hash.
  void fill_chain() {
    if (setting("chain_filled").value_or(0) == 1) return;
    Stmt s(db_, "SELECT MIN(seq) FROM events WHERE hash IS NULL");
    if (!s.step() || sqlite3_column_type(s_handle(s), 0) == SQLITE_NULL) {
      put_setting("chain_filled", 1);
      return;
    }
    const std::int64_t from = s.integer(0);
    exec("BEGIN IMMEDIATE");
    try {
      exec("DROP TRIGGER events_append_only_update");
      rechain(from);
      exec(kAppendOnlyUpdate);
      put_setting("chain_filled", 1);
      exec("COMMIT");
    } catch (...) {
      sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
      load_head();
      throw;
    }
  }

  // Computes the hashes of every row from `from` on, inside the caller's
  // transaction, with the update guard dropped by the caller.
  void rechain(std::int64_t from) {
    std::string prev = kChainGenesis;
    {
      Stmt p(db_, "SELECT hash FROM events WHERE seq<?1 ORDER BY seq DESC LIMIT 1");
      p.bind(1, from);
      if (p.step()) prev = p.text(0);
    }
    Stmt rows(db_,
              "SELECT seq,instance,time,actor,kind,action,step,from_state,to_state,note,material,detail,input "
              "FROM events WHERE seq>=?1 ORDER BY seq");
    rows.bind(1, from);
    Stmt up(db_, "UPDATE events SET hash=?2 WHERE seq=?1");
    while (rows.step()) {
      EventRecord e = read_event(rows);
      const std::string h = chain_hash(prev, e, rows.blob(12));
      up.bind(1, e.seq).bind(2, h).run();
      prev = h;
    }
    load_head();
  }

  static sqlite3_stmt* s_handle(Stmt& s) { return s.handle(); }

  void add(const char* name, const char* sql) { stmts_.emplace(name, Stmt(db_, sql)); }
  Stmt& st(const char* name) { return stmts_.at(name); }

  static InstanceRecord read_instance(Stmt& s) {
    InstanceRecord r;
    r.id = s.text(0);
    r.workflow_hash = s.text(1);
    r.project = s.text(2);
    r.applicant = s.text(3);
    r.green = s.integer(4) != 0;
    r.state = s.text(5);
    r.started = s.text(6);
    r.finished = s.text(7);
    r.snapshot = s.blob(8);
    r.workflow_id = s.text(9);
    r.key = s.text(10);
    r.version = s.integer(11);
    r.claims = s.text(12);
    r.resident = s.integer(13) != 0;
    return r;
  }

  std::string path_;
  std::unique_ptr<WriterLock> lock_;  // before db_: released after the connection closes
  sqlite3* db_ = nullptr;
  std::map<std::string, Stmt> stmts_;
  bool read_only_ = false;
  std::int64_t last_seq_ = 0;  // the chain's head: the last row's seq and hash
  std::string head_;
};

}  // namespace

const char* const kChainGenesis = "0000000000000000000000000000000000000000000000000000000000000000";

std::string chain_hash(const std::string& previous, const EventRecord& e, const std::string& input) {
  std::string msg;
  msg.reserve(previous.size() + 256 + e.detail.size() + e.note.size() + input.size());
  auto field = [&](const std::string& v) {
    msg += std::to_string(v.size());
    msg += ':';
    msg += v;
    msg += ',';
  };
  field(previous);
  field(std::to_string(e.seq));
  for (const std::string* v : {&e.instance, &e.time, &e.actor, &e.kind, &e.action, &e.step, &e.from, &e.to, &e.note,
                               &e.material, &e.detail, &input})
    field(*v);
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(msg.data(), msg.size(), md, &len, EVP_sha256(), nullptr) != 1)
    throw Error(Error::Code::storage, "SHA-256 of an event row failed (OpenSSL)");
  static const char* const hex = "0123456789abcdef";
  std::string out(2 * len, '0');
  for (unsigned int i = 0; i < len; ++i) {
    out[2 * i] = hex[md[i] >> 4];
    out[2 * i + 1] = hex[md[i] & 15];
  }
  return out;
}

ChainCheck verify_chain_file(const std::string& path) {
  sqlite3* db = open_connection(path, true, "database");
  try {
    ChainCheck c = walk_chain(db);
    sqlite3_close(db);
    return c;
  } catch (...) {
    sqlite3_close(db);
    throw;
  }
}

std::unique_ptr<Store> open_sqlite_store(const std::string& path, const std::string& synchronous, bool read_only,
                                         long lock_timeout_ms) {
  return std::make_unique<SqliteStore>(path, synchronous, read_only, lock_timeout_ms);
}

std::string unusable_database_path(const std::string& path) {
  if (path.empty()) return "no database file given (an empty path would be a temporary database, which would keep nothing)";
  if (path == ":memory:" || path.rfind("file:", 0) == 0)
    return "database '" + path + "' is not a file path (an in-memory or URI database would keep nothing); give a file";
  return "";
}

namespace {

struct Closer {
  sqlite3* db;
  ~Closer() { sqlite3_close(db); }
};

// Copies every page of `from` into `to` (SQLite's online backup: a
// consistent snapshot even while a writer commits; it restarts if the
// source changes under it).
void copy_pages(sqlite3* from, sqlite3* to, const std::string& what) {
  sqlite3_backup* b = sqlite3_backup_init(to, "main", from, "main");
  if (!b) throw Error(Error::Code::storage, what + ": " + sqlite3_errmsg(to));
  int rc;
  while ((rc = sqlite3_backup_step(b, 256)) == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
    if (rc != SQLITE_OK) sqlite3_sleep(5);
  sqlite3_backup_finish(b);
  if (rc != SQLITE_DONE) throw Error(Error::Code::storage, what + ": " + sqlite3_errstr(rc));
}

// integrity_check and the chain of a database file.
BackupCheck check_copy(sqlite3* db, const std::string& path) {
  {
    Stmt s(db, "PRAGMA integrity_check");
    const std::string r = s.step() ? s.text(0) : std::string("no answer");
    if (r != "ok") throw Error(Error::Code::storage, "'" + path + "' fails SQLite's integrity check: " + r);
  }
  const ChainCheck c = walk_chain(db);
  if (!c.ok)
    throw Error(Error::Code::storage, "'" + path + "': the audit trail's chain breaks at seq " +
                                          std::to_string(c.bad_seq) + ": " + c.problem);
  return BackupCheck{c.events, c.head_seq, c.head_hash};
}

}  // namespace

BackupCheck backup_database(const std::string& path, const std::string& out) {
  if (const std::string why = unusable_database_path(out); !why.empty()) throw Error(Error::Code::invalid_argument, why);
  if (::access(out.c_str(), F_OK) == 0)
    throw Error(Error::Code::invalid_argument, "'" + out + "' exists already; a backup is written to a new file");
  sqlite3* src = open_connection(path, true, "database");
  Closer cs{src};
  {
    Stmt v(src, "PRAGMA user_version");
    if (!v.step() || v.integer(0) == 0)
      throw Error(Error::Code::storage, "'" + path + "' is not a JointReview database");
  }
  sqlite3* dst = open_connection(out, false, "backup file");
  Closer cd{dst};
  try {
    copy_pages(src, dst, "backup of '" + path + "'");
    return check_copy(dst, out);
  } catch (...) {
    sqlite3_close(dst);
    cd.db = nullptr;
    ::unlink(out.c_str());  // no half-made backup left behind
    throw;
  }
}

BackupCheck restore_database(const std::string& from, const std::string& path) {
  if (const std::string why = unusable_database_path(path); !why.empty()) throw Error(Error::Code::invalid_argument, why);
  sqlite3* src = open_connection(from, true, "backup");
  Closer cs{src};
  const BackupCheck c = check_copy(src, from);
  std::unique_ptr<WriterLock> lock;
  try {
    lock = std::make_unique<WriterLock>(path, 0);  // refused at once while an engine holds it
  } catch (const Error& e) {
    throw Error(Error::Code::storage, std::string("cannot restore over a database in use: ") + e.what());
  }
  sqlite3* dst = open_connection(path, false, "database");
  Closer cd{dst};
  copy_pages(src, dst, "restore of '" + path + "'");
  return c;
}

}  // namespace jointreview::storage
