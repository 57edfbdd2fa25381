// MysqlLoader: the loading connections of restore-mysql --jobs N (a WorkerPool of
// MysqlLoadWorkers). Each INSERT the router sends here becomes a job; a connection replays the
// dump's session statements (SET, USE) that precede the job before running it, so every INSERT
// runs with the session state it has in the dump. Connections run with autocommit off and
// commit in batches (when idle, or every 32 MB), so a job is done, for the barriers, once it is
// committed. They keep UNIQUE_CHECKS=1: with several connections loading one table,
// UNIQUE_CHECKS=0 makes MariaDB 10.6+ take table locks.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "agent/core/parallel_loader.h"
#include "agent/mysql/mysql_client.h"

namespace ra {

struct MysqlJob {
  uint64_t seq = 0;  // the statement's number
  std::string key;   // its table
  std::string sql;
  std::string where;  // "file:line (statement N, byte B)", for messages
  std::string what;   // "INSERT into 'x'"
  SessionSnapshot session;
};

class MysqlLoader : public ParallelLoader<MysqlJob> {
 public:
  // Connects `workers` connections (waiting as the main connection did) before returning.
  // `force`: a failed INSERT is counted and logged, and loading goes on.
  MysqlLoader(const MysqlTarget& target, int workers, bool force, std::chrono::milliseconds wait);
  // Queues an INSERT (blocks while 2 MB per connection are queued).
  void Submit(MysqlJob job) {
    const size_t weight = job.sql.size();
    ParallelLoader::Submit(std::move(job), weight);
  }
};

}  // namespace ra
