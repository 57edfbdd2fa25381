// ParallelLoader<Job>: what the MySQL and PostgreSQL loading connections share — the pool of
// workers (worker_pool.h), the session statements every job carries a snapshot of
// (session_log.h), the barriers the router asks for, and the end that folds the servers' row
// counts and errors into the restore's counts.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "agent/core/dump_restore.h"
#include "agent/core/session_log.h"
#include "agent/core/worker_pool.h"

namespace ra {

template <class Job>
class ParallelLoader {
 public:
  // A session statement the main connection ran: replayed before every later job.
  void AddSession(const std::string& sql) { session_.Add(sql); }
  // Until every job under `key` (or every job) is done; throws a stopping error.
  void Wait(const std::string& key) { pool_.Wait(key); }
  void WaitAll() { pool_.WaitAll(); }
  // Waits for every job, ends the connections, adds their rows and errors to `counts`.
  void Finish(RestoreCounts& counts) {
    pool_.Finish();
    for (const auto& [table, rows] : pool_.server_rows())
      counts.tables.Table(table).server_rows += rows;
    counts.failed += pool_.errors();
  }
  size_t connections() const { return pool_.size(); }

 protected:
  ParallelLoader(std::vector<std::unique_ptr<PoolWorker<Job>>> workers, size_t max_queued_weight)
      : pool_(std::move(workers), max_queued_weight) {}
  ~ParallelLoader() = default;
  // Queues `job` with the session statements so far.
  void Submit(Job job, size_t weight) {
    job.session = session_.snapshot();
    pool_.Submit(std::move(job), weight);
  }

  SessionLog session_;
  WorkerPool<Job> pool_;
};

}  // namespace ra
