// What the runtime's tests share: a scratch folder, engine options on it,
// and one-value SQL queries on its database (read-only, beside the engine).
#pragma once

#include <catch2/catch.hpp>
#include <sqlite3.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "jointreview/engine.h"

namespace jr_test {

namespace fs = std::filesystem;
using jointreview::Clock;
using jointreview::EngineOptions;

struct TempDir {
  fs::path path;
  TempDir() {
    static std::atomic<int> n{0};
    path = fs::temp_directory_path() / ("jr_rt_" + std::to_string(::getpid()) + "_" + std::to_string(n++));
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
  std::string file(const std::string& name, const std::string& text) const {
    std::ofstream(path / name) << text;
    return (path / name).string();
  }
  std::string db() const { return (path / "jr.db").string(); }
};

inline EngineOptions options(const TempDir& d, std::shared_ptr<Clock> clock) {
  EngineOptions o;
  o.database = d.db();
  o.clock = std::move(clock);
  o.background_timers = false;
  return o;
}

// Runs SQL on the database behind the engine's back (a trigger that makes a
// commit fail, an older schema), with the engine closed.
inline void sql_exec(const std::string& db, const std::string& sql) {
  sqlite3* h = nullptr;
  REQUIRE(sqlite3_open(db.c_str(), &h) == SQLITE_OK);
  const int rc = sqlite3_exec(h, sql.c_str(), nullptr, nullptr, nullptr);
  sqlite3_close(h);
  REQUIRE(rc == SQLITE_OK);
}

inline std::string sql_scalar(const std::string& db, const std::string& sql) {
  sqlite3* h = nullptr;
  REQUIRE(sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  REQUIRE(sqlite3_prepare_v2(h, sql.c_str(), -1, &st, nullptr) == SQLITE_OK);
  std::string out;
  if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
    out = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
  sqlite3_finalize(st);
  sqlite3_close(h);
  return out;
}

}  // namespace jr_test
