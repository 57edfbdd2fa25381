#include "agent/mysql_parallel.h"

#include "agent/log.h"

namespace ra {
namespace {

constexpr size_t kCommitBytes = 32u << 20;

std::string Where(const std::string& name, const SqlStatement& st) {
  return name + ":" + std::to_string(st.line) + " (statement " + std::to_string(st.number) +
         ", byte " + std::to_string(st.offset) + ")";
}

}  // namespace

MysqlParallelLoader::MysqlParallelLoader(const MysqlTarget& target, int workers, bool force,
                                         std::string source_name, std::chrono::milliseconds wait)
    : force_(force),
      source_(std::move(source_name)),
      max_queued_bytes_(static_cast<size_t>(workers) * (2u << 20)) {
  std::vector<MysqlConnection> conns;
  for (int i = 0; i < workers; ++i) conns.push_back(MysqlConnection::Connect(target, wait));
  for (int i = 0; i < workers; ++i)
    threads_.emplace_back(&MysqlParallelLoader::Work, this, i, std::move(conns[i]));
}

MysqlParallelLoader::~MysqlParallelLoader() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.clear();
  }
  StopAndJoin();
}

void MysqlParallelLoader::AddSessionStatement(const std::string& sql) {
  std::lock_guard<std::mutex> lock(mu_);
  session_.push_back(sql);
}

void MysqlParallelLoader::Submit(SqlStatement st, const StatementInfo& info,
                                 const std::string& table) {
  std::unique_lock<std::mutex> lock(mu_);
  space_cv_.wait(lock, [&] {
    return error_.has_value() || queued_bytes_ < max_queued_bytes_ || queue_.empty();
  });
  ThrowIfFailedLocked();
  queued_bytes_ += st.text.size();
  StartedLocked(table);
  queue_.push_back(Job{std::move(st), info, table, session_.size()});
  lock.unlock();
  work_cv_.notify_one();
}

void MysqlParallelLoader::Work(int id, MysqlConnection conn) {
  size_t session_applied = 0;
  std::vector<std::string> uncommitted;  // tables of the jobs in the open transaction
  std::map<std::string, uint64_t> rows;
  size_t trx_bytes = 0;
  auto fail = [&](Error e) { Fail(std::move(e)); };
  auto commit = [&]() -> bool {
    if (uncommitted.empty()) return true;
    const MysqlResult r = conn.Execute("COMMIT");
    if (!r.ok) {
      fail(Error(ErrorKind::kServer, "loading connection " + std::to_string(id + 1) +
                                         ": COMMIT failed: [" + std::to_string(r.error_code) +
                                         " " + r.sqlstate + "] " + r.message));
      return false;
    }
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [t, n] : rows) server_rows_[t] += n;
    for (const auto& t : uncommitted) DoneLocked(t);
    rows.clear();
    uncommitted.clear();
    trx_bytes = 0;
    return true;
  };
  const MysqlResult off = conn.Execute("SET autocommit = 0");
  if (!off.ok) {
    fail(Error(ErrorKind::kServer, "loading connection: SET autocommit = 0 failed: " + off.message));
    return;
  }
  for (;;) {
    std::unique_lock<std::mutex> lock(mu_);
    if (queue_.empty() && !uncommitted.empty() && !stop_) {
      lock.unlock();
      if (!commit()) return;  // idle: make the work visible and release its locks
      continue;
    }
    work_cv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
    if (queue_.empty()) {  // stop
      lock.unlock();
      commit();
      return;
    }
    if (error_ && !force_) return;
    Job job = std::move(queue_.front());
    queue_.pop_front();
    queued_bytes_ -= job.st.text.size();
    std::vector<std::string> session(session_.begin() + static_cast<long>(session_applied),
                                     session_.begin() + static_cast<long>(job.session_version));
    lock.unlock();
    space_cv_.notify_one();

    if (!session.empty()) {
      for (const auto& s : session) {
        const MysqlResult r = conn.Execute(s);
        if (!r.ok) {
          fail(Error(ErrorKind::kServer, "loading connection " + std::to_string(id + 1) +
                                             ": replaying session statement '" + s.substr(0, 80) +
                                             "' failed: [" + std::to_string(r.error_code) + " " +
                                             r.sqlstate + "] " + r.message));
          return;
        }
      }
      // Several connections load one table: keep unique checks on (see the header).
      conn.Execute("SET UNIQUE_CHECKS = 1");
      session_applied = job.session_version;
    }
    const MysqlResult r = conn.Execute(job.st.text);
    if (!r.ok) {
      const std::string message = Where(source_, job.st) + ": [" + std::to_string(r.error_code) +
                                  " " + r.sqlstate + "] " + r.message + " (in " +
                                  DescribeStatement(job.info) + ", loading connection " +
                                  std::to_string(id + 1) + ")";
      if (!force_ || r.connection_lost()) {
        if (!r.connection_lost()) commit();  // what ran before it stays, as in a serial restore
        fail(Error(ErrorKind::kServer, message));
        return;
      }
      log::Error(message);
      std::lock_guard<std::mutex> guard(mu_);
      ++errors_;
    } else {
      rows[job.table] += r.affected_rows;
    }
    uncommitted.push_back(job.table);
    trx_bytes += job.st.text.size();
    if (trx_bytes >= kCommitBytes && !commit()) return;
  }
}

}  // namespace ra
