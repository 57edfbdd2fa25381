// Types shared by the SQL dump splitters: a statement with its position and class, and the
// sticky error a splitter reports. Plain data, no behaviour.
#pragma once

#include <cstdint>
#include <string>

namespace ra {

// Enough classification for serial summaries today and parallel loading later: what the
// statement does and to which table.
enum class StatementKind {
  kSet,  // SET ... (session settings; replayed on every connection when parallel)
  kUse,  // USE db
  kCreateDatabase,
  kCreateTable,
  kDropTable,
  kAlterTable,  // incl. ALTER TABLE t DISABLE/ENABLE KEYS
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
};

// "schema.object", with `current_db` (from USE, \connect or --database) when the statement
// names no schema.
std::string QualifiedName(const StatementInfo& info, const std::string& current_db);

// A short, secret-free description for messages: "INSERT into `film`", "CREATE TABLE `actor`".
std::string DescribeStatement(const StatementInfo& info);

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

}  // namespace ra
