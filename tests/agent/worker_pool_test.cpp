// WorkerPool: barriers by key, outcomes applied by the coordinator, a stopping error keeps the
// prefix before it, batched outcomes count only once flushed. Fake workers, no server.
#include "agent/core/worker_pool.h"

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <thread>

namespace {

struct Job {
  uint64_t seq = 0;
  std::string key;
  int sleep_ms = 0;
  bool fail = false;
  bool stop = true;
};

// What every worker ran, shared by the test's workers.
struct Ledger {
  std::mutex mu;
  std::set<uint64_t> ran;
  void Add(uint64_t seq) {
    std::lock_guard<std::mutex> lock(mu);
    ran.insert(seq);
  }
};

class FakeWorker : public ra::PoolWorker<Job> {
 public:
  FakeWorker(Ledger& ledger, bool batch) : ledger_(ledger), batch_(batch) {}
  void Run(Job& job, ra::OutcomeSink& sink) override {
    std::this_thread::sleep_for(std::chrono::milliseconds(job.sleep_ms));
    ledger_.Add(job.seq);
    ra::JobOutcome o{job.seq, job.key, job.key, 10, std::nullopt, false};
    if (job.fail) {
      o.error = ra::Error(ra::ErrorKind::kServer, "job " + std::to_string(job.seq) + " failed");
      o.stop = job.stop;
    }
    if (batch_ && !o.error) {
      held_.push_back(std::move(o));
      return;
    }
    sink.Post(std::move(o));
  }
  void Flush(ra::OutcomeSink& sink) override {
    for (auto& o : held_) sink.Post(std::move(o));
    held_.clear();
  }

 private:
  Ledger& ledger_;
  bool batch_;
  std::vector<ra::JobOutcome> held_;
};

ra::WorkerPool<Job> MakePool(Ledger& ledger, int n, bool batch = false) {
  std::vector<std::unique_ptr<ra::PoolWorker<Job>>> workers;
  for (int i = 0; i < n; ++i) workers.push_back(std::make_unique<FakeWorker>(ledger, batch));
  return ra::WorkerPool<Job>(std::move(workers), 1000);
}

}  // namespace

TEST_CASE("pool: Wait(key) returns once that key's jobs are done; rows add up") {
  Ledger ledger;
  ra::WorkerPool<Job> pool = MakePool(ledger, 3);
  for (uint64_t i = 1; i <= 20; ++i) pool.Submit({i, i % 2 ? "odd" : "even", 5}, 1);
  pool.Wait("odd");
  {
    std::lock_guard<std::mutex> lock(ledger.mu);
    for (uint64_t i = 1; i <= 20; i += 2) CHECK(ledger.ran.count(i) == 1);
  }
  pool.Finish();
  CHECK(ledger.ran.size() == 20);
  CHECK(pool.server_rows().at("odd") == 100);
  CHECK(pool.server_rows().at("even") == 100);
  CHECK(pool.errors() == 0);
}

TEST_CASE("pool: batched outcomes count once flushed") {
  Ledger ledger;
  ra::WorkerPool<Job> pool = MakePool(ledger, 2, true);
  for (uint64_t i = 1; i <= 10; ++i) pool.Submit({i, "t", 1}, 1);
  pool.WaitAll();  // returns only after the idle workers flushed their batches
  CHECK(pool.server_rows().at("t") == 100);
  pool.Finish();
}

TEST_CASE("pool: a stopping error lets every job before it finish, drops those after") {
  Ledger ledger;
  ra::WorkerPool<Job> pool = MakePool(ledger, 2);
  bool thrown = false;
  try {
    for (uint64_t i = 1; i <= 200; ++i) {
      Job job{i, "t", i < 5 ? 30 : 1};
      job.fail = i == 5;
      pool.Submit(job, 1);
    }
    pool.Finish();
  } catch (const ra::Error& e) {
    thrown = true;
    CHECK(std::string(e.what()) ==
          "job 5 failed; statements 1 to 4 were applied (the other loading connections finished "
          "what came before it, then stopped)");
  }
  CHECK(thrown);
  std::lock_guard<std::mutex> lock(ledger.mu);
  for (uint64_t i = 1; i <= 5; ++i) CHECK(ledger.ran.count(i) == 1);
  CHECK(ledger.ran.size() < 200);
}

TEST_CASE("pool: errors that do not stop are counted, and the load goes on") {
  Ledger ledger;
  ra::WorkerPool<Job> pool = MakePool(ledger, 2);
  for (uint64_t i = 1; i <= 10; ++i) {
    Job job{i, "t", 0};
    job.fail = i % 3 == 0;
    job.stop = false;
    pool.Submit(job, 1);
  }
  pool.Finish();
  CHECK(ledger.ran.size() == 10);
  CHECK(pool.errors() == 3);
}
