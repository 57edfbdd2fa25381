#include "agent/mysql/mysql_loader.h"

#include <vector>

namespace ra {
namespace {

constexpr size_t kCommitBytes = 32u << 20;

std::string ServerSaid(const MysqlResult& r) {
  return "[" + std::to_string(r.error_code) + " " + r.sqlstate + "] " + r.message;
}

class MysqlLoadWorker final : public PoolWorker<MysqlJob> {
 public:
  MysqlLoadWorker(MysqlConnection conn, int id, bool force)
      : conn_(std::move(conn)), who_("loading connection " + std::to_string(id)), force_(force) {
    const MysqlResult r = conn_.Execute("SET autocommit = 0");
    if (!r.ok)
      throw Error(ErrorKind::kServer, who_ + ": SET autocommit = 0 failed: " + ServerSaid(r));
  }

  void Run(MysqlJob& job, OutcomeSink& sink) override {
    ReplaySession(*job.session);
    const MysqlResult r = conn_.Execute(job.sql);
    JobOutcome outcome{job.seq, job.key, job.key, r.ok ? r.affected_rows : 0, std::nullopt, false};
    if (!r.ok) {
      outcome.error = Error(ErrorKind::kServer, job.where + ": " + ServerSaid(r) + " (in " +
                                                    job.what + ", " + who_ + ")");
      outcome.stop = !force_ || r.connection_lost();
    }
    if (outcome.stop) {
      if (!r.connection_lost()) Commit(sink);  // what ran before it stays, as in a serial restore
      sink.Post(std::move(outcome));
      return;
    }
    held_.push_back(std::move(outcome));
    held_bytes_ += job.sql.size();
    if (held_bytes_ >= kCommitBytes) Commit(sink);
  }

  void Flush(OutcomeSink& sink) override { Commit(sink); }

 private:
  void ReplaySession(const SessionScript& script) {
    bool fresh = false;
    const std::vector<std::string> pending = replay_.Pending(script, &fresh);
    if (pending.empty() && !fresh) return;
    for (const std::string& s : pending) {
      const MysqlResult r = conn_.Execute(s);
      if (!r.ok) {
        throw Error(ErrorKind::kServer, who_ + ": replaying session statement '" + s.substr(0, 80) +
                                            "' failed: " + ServerSaid(r));
      }
    }
    // Several connections load one table: keep unique checks on (see the header).
    conn_.Execute("SET UNIQUE_CHECKS = 1");
    replay_.Applied(script);
  }

  // Commits the batch and posts its jobs' outcomes (each with an error if COMMIT failed).
  void Commit(OutcomeSink& sink) {
    if (held_.empty()) return;
    const MysqlResult r = conn_.Execute("COMMIT");
    for (JobOutcome& o : held_) {
      if (!r.ok && !o.error) {
        o.error = Error(ErrorKind::kServer, who_ + ": COMMIT failed: " + ServerSaid(r));
        o.stop = true;
        o.rows = 0;
      }
      sink.Post(std::move(o));
    }
    held_.clear();
    held_bytes_ = 0;
  }

  MysqlConnection conn_;
  const std::string who_;
  const bool force_;
  SessionReplay replay_;
  std::vector<JobOutcome> held_;  // ran, not yet committed
  size_t held_bytes_ = 0;
};

std::vector<std::unique_ptr<PoolWorker<MysqlJob>>> ConnectWorkers(const MysqlTarget& target,
                                                                  int workers, bool force,
                                                                  std::chrono::milliseconds wait) {
  std::vector<std::unique_ptr<PoolWorker<MysqlJob>>> out;
  for (int i = 0; i < workers; ++i) {
    out.push_back(
        std::make_unique<MysqlLoadWorker>(MysqlConnection::Connect(target, wait), i + 1, force));
  }
  return out;
}

}  // namespace

MysqlLoader::MysqlLoader(const MysqlTarget& target, int workers, bool force,
                         std::chrono::milliseconds wait)
    : ParallelLoader(ConnectWorkers(target, workers, force, wait),
                     static_cast<size_t>(workers) * (2u << 20)) {}

}  // namespace ra
