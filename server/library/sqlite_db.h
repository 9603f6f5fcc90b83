// A thin RAII layer over SQLite's C API for the library index: one connection
// (SqliteDb) and prepared statements (SqliteStatement) that bind by position
// and reset themselves when they go out of scope. Errors become absl::Status;
// SQLITE_FULL becomes ResourceExhausted with kInsufficientStorage.
//
// Threads: a connection is used by one thread at a time (the store's mutex).
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace echelon::library {

class SqliteStatement {
 public:
  SqliteStatement(sqlite3* db, sqlite3_stmt* statement) : db_(db), statement_(statement) {}
  SqliteStatement(SqliteStatement&& other) noexcept : db_(other.db_), statement_(other.statement_) {
    other.statement_ = nullptr;
  }
  SqliteStatement(const SqliteStatement&) = delete;
  ~SqliteStatement() { sqlite3_finalize(statement_); }

  SqliteStatement& Bind(int index, int64_t value);
  SqliteStatement& Bind(int index, std::string_view value);
  // True while a row is available; an error ends the rows and sets status().
  bool Step();
  // Runs a statement that returns no rows.
  [[nodiscard]] absl::Status Run();
  absl::Status status() const { return status_; }

  int64_t Int(int column) const { return sqlite3_column_int64(statement_, column); }
  std::string Text(int column) const;
  bool IsNull(int column) const { return sqlite3_column_type(statement_, column) == SQLITE_NULL; }

 private:
  sqlite3* db_;
  sqlite3_stmt* statement_;
  absl::Status status_;
};

class SqliteDb {
 public:
  // Opens (creating) the database file.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<SqliteDb>> Open(const std::string& path);
  ~SqliteDb();

  [[nodiscard]] absl::Status Exec(const std::string& sql);
  [[nodiscard]] absl::StatusOr<SqliteStatement> Prepare(std::string_view sql);
  int64_t Changes() const { return sqlite3_changes64(db_); }

 private:
  explicit SqliteDb(sqlite3* db) : db_(db) {}
  sqlite3* db_;
};

// The status for SQLite result `code` on `db`.
absl::Status SqliteStatus(sqlite3* db, int code, std::string_view what);

}  // namespace echelon::library
