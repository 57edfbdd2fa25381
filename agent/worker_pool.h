// What the parallel MySQL and PostgreSQL loaders share: worker threads, the jobs in flight per
// table (for the barriers), the first error, error counts and the rows the server reported. The
// loaders keep their own job queue and worker loop; they guard it with the same mutex.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "agent/error.h"

namespace ra {

class WorkerPool {
 public:
  // Waits until every job on `key` (or every job) is done; throws the first fatal error.
  void WaitTable(const std::string& key);
  void WaitAll();
  // WaitAll, then the workers end (they see stop and an empty queue).
  void Finish();

  uint64_t errors() const;
  std::map<std::string, uint64_t> ServerRows() const;

 protected:
  WorkerPool() = default;
  ~WorkerPool() = default;
  // Derived destructors call this after emptying their queue: the workers run derived code.
  void StopAndJoin();

  // With mu_ held.
  void StartedLocked(const std::string& key) {
    ++in_flight_[key];
    ++in_flight_total_;
  }
  void DoneLocked(const std::string& key) {
    --in_flight_[key];
    --in_flight_total_;
    done_cv_.notify_all();
  }
  void FailLocked(Error e) {
    if (!error_) error_ = std::move(e);
    space_cv_.notify_all();
    done_cv_.notify_all();
  }
  void ThrowIfFailedLocked() const {
    if (error_) throw *error_;
  }
  void Fail(Error e) {
    std::lock_guard<std::mutex> lock(mu_);
    FailLocked(std::move(e));
  }

  mutable std::mutex mu_;
  std::condition_variable work_cv_;   // workers: a job, or stop
  std::condition_variable space_cv_;  // main: room in the queue
  std::condition_variable done_cv_;   // main: jobs finished
  bool stop_ = false;
  std::optional<Error> error_;
  uint64_t errors_ = 0;  // failed jobs that did not stop the load (going on after errors)
  std::map<std::string, uint64_t> server_rows_;
  std::vector<std::thread> threads_;

 private:
  std::map<std::string, int> in_flight_;
  int in_flight_total_ = 0;
};

}  // namespace ra
