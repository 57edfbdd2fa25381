#include "agent/worker_pool.h"

namespace ra {

void WorkerPool::WaitTable(const std::string& key) {
  std::unique_lock<std::mutex> lock(mu_);
  done_cv_.wait(lock, [&] {
    if (error_) return true;
    auto it = in_flight_.find(key);
    return it == in_flight_.end() || it->second == 0;
  });
  ThrowIfFailedLocked();
}

void WorkerPool::WaitAll() {
  std::unique_lock<std::mutex> lock(mu_);
  done_cv_.wait(lock, [&] { return error_.has_value() || in_flight_total_ == 0; });
  ThrowIfFailedLocked();
}

void WorkerPool::Finish() {
  WaitAll();
  StopAndJoin();
  std::lock_guard<std::mutex> lock(mu_);
  ThrowIfFailedLocked();
}

void WorkerPool::StopAndJoin() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  work_cv_.notify_all();
  for (auto& t : threads_)
    if (t.joinable()) t.join();
}

uint64_t WorkerPool::errors() const {
  std::lock_guard<std::mutex> lock(mu_);
  return errors_;
}

std::map<std::string, uint64_t> WorkerPool::ServerRows() const {
  std::lock_guard<std::mutex> lock(mu_);
  return server_rows_;
}

}  // namespace ra
