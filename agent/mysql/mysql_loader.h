// MysqlLoader: the loading connections of restore-mysql --jobs N (a WorkerPool of
// MysqlLoadWorkers). Each INSERT the router sends here becomes a job; a connection replays the
// dump's session statements (SET, USE) that precede the job before running it, so every INSERT
// runs with the session state it has in the dump. Connections run with autocommit off and
// commit in batches (when idle, or every 32 MB), so a job is done, for the barriers, once it is
// committed. They keep UNIQUE_CHECKS=1: with several connections loading one table,
// UNIQUE_CHECKS=0 makes MariaDB 10.6+ take table locks.
//
// Rows, not SQL (the way MySQL Shell's loader sends them): with `load_data`, an INSERT whose
// table shape is known goes as LOAD DATA LOCAL INFILE of its rows (protocols/mysql_insert.h),
// served from memory, inside a savepoint. When the server reports anything an INSERT would not
// have done — a warning, a row count that differs, an error — the savepoint is rolled back and
// the INSERT runs as it was, so the table ends exactly as the INSERT leaves it. Statements the
// converter cannot map with certainty, sessions with NO_BACKSLASH_ESCAPES or a character set in
// which a backslash can be part of a character, and tables with BIT or spatial columns go as
// INSERTs from the start.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "agent/core/parallel_loader.h"
#include "agent/mysql/mysql_client.h"
#include "protocols/mysql_table.h"

namespace ra {

struct MysqlJob {
  enum class Kind { kInsert, kStatement };
  uint64_t seq = 0;  // the statement's number
  std::string key;   // its table
  std::string sql;
  std::string where;  // "file:line (statement N, byte B)", for messages
  std::string what;   // "INSERT into 'x'"
  SessionSnapshot session;
  Kind kind = Kind::kInsert;
  std::shared_ptr<const MysqlTableShape> shape;  // the table's, when known
};

// How the INSERT jobs went, summed over the connections (read once they ended).
struct MysqlLoadStats {
  uint64_t load_data = 0;    // INSERTs loaded as LOAD DATA rows
  uint64_t as_sql = 0;       // INSERTs sent as they were
  uint64_t rolled_back = 0;  // of those: LOAD DATA tried, rolled back, sent as INSERT
};

class MysqlLoader : public ParallelLoader<MysqlJob> {
 public:
  // Connects `workers` connections (waiting as the main connection did) before returning.
  // `force`: a failed INSERT is counted and logged, and loading goes on.
  MysqlLoader(const MysqlTarget& target, int workers, bool force, bool load_data,
              std::chrono::milliseconds wait);
  // Queues a job (blocks while 2 MB per connection are queued).
  void Submit(MysqlJob job) {
    const size_t weight = job.sql.size();
    ParallelLoader::Submit(std::move(job), weight);
  }
  // Whether every job of `key` is done (without waiting).
  bool Idle(const std::string& key) { return pool_.Idle(key); }
  // Valid after Finish.
  MysqlLoadStats stats() const;

 private:
  using StatsPerWorker = std::shared_ptr<std::vector<MysqlLoadStats>>;
  MysqlLoader(const MysqlTarget& target, int workers, bool force, bool load_data,
              std::chrono::milliseconds wait, StatsPerWorker stats);
  StatsPerWorker stats_;  // one each, written by its worker only
};

}  // namespace ra
