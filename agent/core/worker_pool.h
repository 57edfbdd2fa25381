// WorkerPool<Job>: the loading connections of a parallel restore, the way MySQL Shell's loader
// runs them. The coordinator (the restore's main thread) submits jobs in dump order; each worker
// thread owns one connection (its PoolWorker) and takes jobs in queue order. Workers report
// every job's outcome as an event; only the coordinator applies events, to state only it reads:
// jobs in flight per key (the barriers), rows per table, errors. No worker writes a counter.
//
// Errors: an outcome with `stop` ends the load at that job. Jobs queued after it (higher seq)
// are dropped; jobs before it still run, so that when the coordinator's next call throws the
// error, everything before the failing statement has been applied. Outcomes with an error but
// without `stop` (going on after errors) are counted and logged by the coordinator.
//
// Job must have `uint64_t seq` (its statement number, increasing) and `std::string key` (what
// Wait(key) waits for, e.g. its table).
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

#include "agent/core/error.h"
#include "agent/core/log.h"

namespace ra {

struct JobOutcome {
  uint64_t seq = 0;
  std::string key;
  std::string table;  // whose row count `rows` adds to ("" for none)
  uint64_t rows = 0;  // as the server reported them
  std::optional<Error> error;
  bool stop = false;  // the error stops the load
};

class OutcomeSink {
 public:
  virtual void Post(JobOutcome outcome) = 0;

 protected:
  ~OutcomeSink() = default;
};

template <class Job>
class PoolWorker {
 public:
  virtual ~PoolWorker() = default;
  // Runs one job and posts its outcome, now or later (a batched commit). An exception counts as
  // an outcome with `stop`.
  virtual void Run(Job& job, OutcomeSink& sink) = 0;
  // The queue is empty, or the pool stops: post the outcomes held back (commit a batch).
  virtual void Flush(OutcomeSink& sink) { (void)sink; }
};

template <class Job>
class WorkerPool final : private OutcomeSink {
 public:
  WorkerPool(std::vector<std::unique_ptr<PoolWorker<Job>>> workers, size_t max_queued_weight)
      : workers_(std::move(workers)), max_weight_(max_queued_weight) {
    for (auto& w : workers_) threads_.emplace_back([this, worker = w.get()] { Loop(*worker); });
  }
  // Drops what is queued, lets each worker flush, joins (an interrupt, or an error above).
  ~WorkerPool() { StopAndJoin(true); }
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Queues a job; blocks while `weight` (bytes, say) of queued jobs is at its bound.
  void Submit(Job job, size_t weight) {
    std::unique_lock<std::mutex> lock(mu_);
    WaitLocked(lock, [&] { return queued_weight_ < max_weight_ || queue_.empty(); });
    ThrowIfStoppedLocked(lock);
    ++in_flight_[job.key];
    ++in_flight_total_;
    queued_weight_ += weight;
    queue_.push_back({std::move(job), weight});
    lock.unlock();
    work_cv_.notify_one();
  }

  // Until no job of `key` is in flight (their outcomes applied); throws a stopping error.
  void Wait(const std::string& key) {
    std::unique_lock<std::mutex> lock(mu_);
    WaitLocked(lock, [&] { return in_flight_[key] == 0; });
    ThrowIfStoppedLocked(lock);
  }
  // Whether no job of `key` is in flight, as the events so far say (does not wait).
  bool Idle(const std::string& key) {
    std::lock_guard<std::mutex> lock(mu_);
    ApplyEventsLocked();
    const auto it = in_flight_.find(key);
    return it == in_flight_.end() || it->second == 0;
  }
  void WaitAll() {
    std::unique_lock<std::mutex> lock(mu_);
    WaitLocked(lock, [&] { return in_flight_total_ == 0; });
    ThrowIfStoppedLocked(lock);
  }
  // WaitAll, then the workers flush and end; throws a stopping error.
  void Finish() {
    WaitAll();
    StopAndJoin(false);
    std::unique_lock<std::mutex> lock(mu_);
    ApplyEventsLocked();
    ThrowIfStoppedLocked(lock);
  }

  // Coordinator state, as applied so far.
  uint64_t errors() const { return errors_; }
  const std::map<std::string, uint64_t>& server_rows() const { return server_rows_; }
  size_t size() const { return workers_.size(); }

 private:
  struct Queued {
    Job job;
    size_t weight;
  };

  // Worker side: called from worker threads with mu_ not held.
  void Post(JobOutcome outcome) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (outcome.error && outcome.stop && outcome.seq < watermark_) {
      watermark_ = outcome.seq;
      DropQueuedAfterLocked();
    }
    events_.push_back(std::move(outcome));
    coord_cv_.notify_all();
  }

  void DropQueuedAfterLocked() {
    for (auto it = queue_.begin(); it != queue_.end();) {
      if (it->job.seq <= watermark_) {
        ++it;
        continue;
      }
      queued_weight_ -= it->weight;
      events_.push_back(JobOutcome{it->job.seq, it->job.key, "", 0, std::nullopt, false});
      it = queue_.erase(it);
    }
  }

  void Loop(PoolWorker<Job>& worker) {
    bool flushed = true;
    for (;;) {
      std::unique_lock<std::mutex> lock(mu_);
      if (queue_.empty() && !flushed) {
        lock.unlock();
        SafeFlush(worker);
        flushed = true;
        continue;
      }
      work_cv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
      if (queue_.empty()) break;
      Queued q = std::move(queue_.front());
      queue_.pop_front();
      queued_weight_ -= q.weight;
      lock.unlock();
      coord_cv_.notify_all();
      SafeRun(worker, q.job);
      flushed = false;
    }
    SafeFlush(worker);
  }

  void SafeRun(PoolWorker<Job>& worker, Job& job) {
    try {
      worker.Run(job, *this);
    } catch (const Error& e) {
      Post(JobOutcome{job.seq, job.key, "", 0, e, true});
    } catch (const std::exception& e) {
      Post(JobOutcome{job.seq, job.key, "", 0, Error(ErrorKind::kInternal, e.what()), true});
    }
  }
  void SafeFlush(PoolWorker<Job>& worker) {
    try {
      worker.Flush(*this);
    } catch (const std::exception& e) {
      log::Error(std::string("loading connection: ") + e.what());
    }
  }

  // Coordinator side, with mu_ held: applies events until `done()` or a stopping error.
  template <class Pred>
  void WaitLocked(std::unique_lock<std::mutex>& lock, Pred done) {
    for (;;) {
      ApplyEventsLocked();
      if (stop_error_ || done()) return;
      coord_cv_.wait(lock);
    }
  }

  void ApplyEventsLocked() {
    while (!events_.empty()) {
      JobOutcome o = std::move(events_.front());
      events_.pop_front();
      --in_flight_[o.key];
      --in_flight_total_;
      if (!o.table.empty()) server_rows_[o.table] += o.rows;
      if (!o.error) continue;
      ++errors_;
      if (!o.stop) {
        log::Error(o.error->what());
      } else if (!stop_error_ || o.seq < stop_seq_) {
        stop_error_ = std::move(o.error);
        stop_seq_ = o.seq;
      }
    }
  }

  // A stopping error is thrown once every job before it (and any still running) is done.
  void ThrowIfStoppedLocked(std::unique_lock<std::mutex>& lock) {
    if (!stop_error_) return;
    for (;;) {
      ApplyEventsLocked();
      if (in_flight_total_ == 0) break;
      coord_cv_.wait(lock);
    }
    throw Error(stop_error_->kind(),
                std::string(stop_error_->what()) + "; statements 1 to " +
                    std::to_string(stop_seq_ - 1) +
                    " were applied (the other loading connections finished what came before it, "
                    "then stopped)",
                stop_error_->signal());
  }

  void StopAndJoin(bool drop_queue) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
      if (drop_queue) {
        watermark_ = 0;
        DropQueuedAfterLocked();
      }
    }
    work_cv_.notify_all();
    for (auto& t : threads_)
      if (t.joinable()) t.join();
  }

  std::vector<std::unique_ptr<PoolWorker<Job>>> workers_;
  std::vector<std::thread> threads_;
  const size_t max_weight_;

  std::mutex mu_;
  std::condition_variable work_cv_;   // workers: a job, or stop
  std::condition_variable coord_cv_;  // coordinator: events, or room in the queue
  // Shared, under mu_: the queue and the events.
  std::deque<Queued> queue_;
  size_t queued_weight_ = 0;
  std::deque<JobOutcome> events_;
  bool stop_ = false;
  uint64_t watermark_ = UINT64_MAX;  // jobs above it are dropped (a stopping error's seq)

  // The coordinator's own (touched only by the coordinator, under mu_ while it waits).
  std::map<std::string, int> in_flight_;
  int in_flight_total_ = 0;
  std::map<std::string, uint64_t> server_rows_;
  uint64_t errors_ = 0;
  std::optional<Error> stop_error_;
  uint64_t stop_seq_ = 0;
};

}  // namespace ra
