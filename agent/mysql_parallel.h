// Parallel loading of a mysqldump: the main connection runs the schema statements in dump order;
// each INSERT goes to a pool of worker connections once its table's CREATE TABLE has run, across
// tables and across the chunks of one large table. The dump's session statements (SET, USE) are
// replayed on every worker in dump order, so each INSERT runs with the session state it has in
// the dump. Workers batch commits (autocommit off; COMMIT when idle or every 32 MB).
//
// Barriers: a statement that touches a table (DROP, CREATE, ALTER of it) waits until that
// table's INSERTs are committed; anything else that may depend on data (triggers, views,
// routines, events, other DDL) waits for all of them. LOCK TABLES / UNLOCK TABLES are skipped:
// they would lock the workers out. Workers run with UNIQUE_CHECKS=1 (with several connections
// loading one table, UNIQUE_CHECKS=0 makes MariaDB 10.6+ take table locks).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "agent/error.h"
#include "agent/mysql_client.h"
#include "agent/worker_pool.h"
#include "protocols/statement.h"

namespace ra {

class MysqlParallelLoader : public WorkerPool {
 public:
  // Connects `workers` connections (with the main connection's wait) before returning.
  MysqlParallelLoader(const MysqlTarget& target, int workers, bool force, std::string source_name,
                      std::chrono::milliseconds wait);
  ~MysqlParallelLoader();  // stops the workers (rolling back what they have not committed)

  // A session statement the main connection has run: workers replay it before later INSERTs.
  void AddSessionStatement(const std::string& sql);
  // Queues an INSERT into `table` (blocks while the queue is full). Throws the first worker
  // error (unless force).
  void Submit(SqlStatement st, const StatementInfo& info, const std::string& table);
  // WaitTable(table) / WaitAll() (WorkerPool): until the INSERTs are committed. failed() is
  // errors(); ServerRows(): affected rows per table (after Finish).
  uint64_t failed() const { return errors(); }

 private:
  struct Job {
    SqlStatement st;
    StatementInfo info;
    std::string table;
    size_t session_version;
  };
  void Work(int id, MysqlConnection conn);

  const bool force_;
  const std::string source_;
  const size_t max_queued_bytes_;
  std::deque<Job> queue_;  // guarded by mu_; a job is in flight until its COMMIT
  size_t queued_bytes_ = 0;
  std::vector<std::string> session_;  // SET / USE statements in dump order
};

}  // namespace ra
