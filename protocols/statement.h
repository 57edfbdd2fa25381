// Types shared by the SQL dump splitters: a statement with its position and class, and the
// sticky error a splitter reports. Plain data, no behaviour.
#pragma once

#include <cstdint>
#include <string>

namespace ra {

// What a statement does and to which table: enough for the summaries and for the parallel
// loaders' routing decisions (agent/mysql/mysql_route.h, agent/postgres/pg_route.h).
enum class StatementKind {
  kSet,  // SET ... (session settings; replayed on every connection when parallel)
  kUse,  // USE db
  kCreateDatabase,
  kCreateTable,
  kDropTable,
  kAlterTable,
  kKeysToggle,     // ALTER TABLE t DISABLE|ENABLE KEYS (mysqldump; a no-op for InnoDB)
  kCreateIndex,    // CREATE [UNIQUE] INDEX ... ON t: object is the table
  kAddConstraint,  // ALTER TABLE [ONLY] t ADD CONSTRAINT ...: `foreign_key` says which kind
  kCreateView,
  kCreateRoutine,  // PROCEDURE, FUNCTION
  kCreateTrigger,
  kCreateEvent,
  kOtherDdl,  // other CREATE / DROP / ALTER / RENAME / TRUNCATE
  kInsert,    // INSERT / REPLACE into a table
  kLockTables,
  kUnlockTables,
  kTransaction,    // BEGIN, START TRANSACTION, COMMIT, ROLLBACK, SAVEPOINT
  kCopyFromStdin,  // COPY t (...) FROM stdin: data lines follow (PostgreSQL)
  kCreateRole,
  kDropRole,
  kDropDatabase,
  kSetval,  // SELECT pg_catalog.setval(...): a sequence's value (PostgreSQL)
  kOther,
};

const char* StatementKindName(StatementKind kind);

// What a statement does and to what, read from its first words by a dialect's classifier.
struct StatementInfo {
  StatementKind kind = StatementKind::kOther;
  std::string schema;  // qualifier of the object, or the database of USE / CREATE DATABASE
  std::string object;  // table, view, routine, trigger, event, role or database name (unquoted)
  // INSERT without IGNORE: the server's affected-row count must equal the rows sent.
  bool plain_insert = false;
  // kSet of server-wide state (SET GLOBAL, SET @@GLOBAL.x, SET PERSIST): not session state.
  bool global = false;
  // kAddConstraint: a FOREIGN KEY (needs the referenced table's data too).
  bool foreign_key = false;
};

// "schema.object", with `current_db` (from USE, \connect or --database) when the statement
// names no schema.
std::string QualifiedName(const StatementInfo& info, const std::string& current_db);

// A short, secret-free description for messages: "INSERT into `film`", "CREATE TABLE `actor`".
std::string DescribeStatement(const StatementInfo& info);

// "name:line (statement N, byte B)": where a statement stands, for every message about it.
std::string Where(const std::string& source, uint64_t line, uint64_t number, uint64_t offset);

struct SqlStatement {
  std::string text;     // bytes sent to the server, delimiter excluded
  uint64_t number = 0;  // 1-based position among the statements yielded
  uint64_t line = 0;    // 1-based line of the first byte of code
  uint64_t offset = 0;  // 0-based byte offset of the first byte of code in the stream
};

struct SplitError {
  enum class Code {
    kNone,
    kUnterminated,       // end of input inside a string, identifier or comment
    kStatementTooLarge,  // larger than the splitter's limit
    kBadCommand,         // a client command it cannot follow (bad DELIMITER, unknown meta-command)
  };
  Code code = Code::kNone;
  std::string message;  // lowercase, values in quotes; the position is in line/offset
  uint64_t line = 0;    // of the statement being read, or of the offending command
  uint64_t offset = 0;
};

struct SplitStatus {
  SplitError error;
  bool ok() const { return error.code == SplitError::Code::kNone; }
};

// "name:line (byte B): message" for a splitter's error.
std::string DescribeSplitError(const std::string& source, const SplitError& error);

}  // namespace ra
