#include "agent/mysql/mysql_loader.h"

#include <algorithm>

#include "agent/core/log.h"
#include "protocols/mysql_insert.h"
#include "protocols/mysql_load_data.h"

namespace ra {
namespace {

constexpr size_t kCommitBytes = 32u << 20;

std::string ServerSaid(const MysqlResult& r) {
  return "[" + std::to_string(r.error_code) + " " + r.sqlstate + "] " + r.message;
}

// Character sets in which a backslash byte is always a backslash (never the second byte of a
// character), so that the converter's reading of escapes is the server's.
bool BackslashSafe(const std::string& charset) {
  static const char* kSafe[] = {"utf8mb4", "utf8mb3", "utf8", "latin1", "ascii", "binary"};
  return std::any_of(std::begin(kSafe), std::end(kSafe),
                     [&](const char* c) { return charset == c; });
}

// The server refused LOCAL INFILE itself: not worth trying again on this connection.
bool LocalInfileRefused(const MysqlResult& r) {
  return r.error_code == 1148 || r.error_code == 3948 || r.error_code == 2068;
}

}  // namespace

class MysqlLoadWorker final : public PoolWorker<MysqlJob> {
 public:
  MysqlLoadWorker(MysqlConnection conn, int id, bool force, bool load_data, MysqlLoadStats* stats)
      : conn_(std::move(conn)),
        who_("loading connection " + std::to_string(id)),
        force_(force),
        load_data_(load_data),
        stats_(stats) {
    traits_.ignores_generated_values = conn_.server_version().find("MariaDB") != std::string::npos;
    const MysqlResult r = conn_.Execute("SET autocommit = 0");
    if (!r.ok)
      throw Error(ErrorKind::kServer, who_ + ": SET autocommit = 0 failed: " + ServerSaid(r));
  }

  void Run(MysqlJob& job, OutcomeSink& sink) override;
  void Flush(OutcomeSink& sink) override { Commit(sink); }

 private:
  MysqlResult Insert(const MysqlJob& job);
  MysqlResult LoadRows(const MysqlJob& job, const InsertRows& rows, const std::string& load);
  void ReplaySession(const SessionScript& script);
  void Commit(OutcomeSink& sink);

  MysqlConnection conn_;
  const std::string who_;
  const bool force_;
  bool load_data_;
  MysqlLoadStats* stats_;
  SessionReplay replay_;
  bool rows_ok_ = false;  // the session's sql_mode and character set allow LOAD DATA
  MysqlServerTraits traits_;
  std::string rows_;  // the converted rows of the current job (reused)
  struct Held {
    JobOutcome outcome;
    std::string where, what;  // the job's, for a failing COMMIT's message
  };
  std::vector<Held> held_;  // ran, not yet committed
  size_t held_bytes_ = 0;
};

void MysqlLoadWorker::Run(MysqlJob& job, OutcomeSink& sink) {
  try {
    ReplaySession(*job.session);
  } catch (const Error& e) {  // say where, as for the statement itself
    throw Error(e.kind(), job.where + ": " + e.what() + " (before " + job.what + ")");
  }
  const bool insert = job.kind == MysqlJob::Kind::kInsert;
  const MysqlResult r = insert ? Insert(job) : conn_.Execute(job.sql);
  JobOutcome outcome{job.seq,      job.key, insert ? job.key : "", r.ok ? r.affected_rows : 0,
                     std::nullopt, false};
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
  held_.push_back(Held{std::move(outcome), job.where, job.what});
  held_bytes_ += job.sql.size();
  if (held_bytes_ >= kCommitBytes || !insert) Commit(sink);
}

// The INSERT as LOAD DATA rows where that stores exactly the same, else as it is.
MysqlResult MysqlLoadWorker::Insert(const MysqlJob& job) {
  if (load_data_ && rows_ok_ && job.shape) {
    InsertRows rows;
    rows_.clear();
    std::string why;
    std::string load;
    if (MysqlInsertToRows(job.sql, &rows, &rows_, &why) &&
        MysqlLoadStatement(rows, *job.shape, traits_, MysqlConnection::kLocalRowsName, &load,
                           &why)) {
      return LoadRows(job, rows, load);
    }
  }
  ++stats_->as_sql;
  return conn_.Execute(job.sql);
}

MysqlResult MysqlLoadWorker::LoadRows(const MysqlJob& job, const InsertRows& rows,
                                      const std::string& load) {
  MysqlResult r = conn_.Execute("SAVEPOINT restore_agent_rows");
  if (!r.ok) return r;
  r = conn_.LoadRows(load, rows_);
  const bool exact = rows.modifier.empty() ? r.affected_rows == rows.rows : true;
  if (r.ok && r.warnings == 0 && exact) {
    ++stats_->load_data;
    return r;
  }
  if (r.connection_lost()) return r;
  if (LocalInfileRefused(r)) {
    log::Warn(who_ + ": the server refused LOAD DATA LOCAL (" + ServerSaid(r) +
              "); this connection sends INSERT statements from now on");
    load_data_ = false;
  }
  const MysqlResult back = conn_.Execute("ROLLBACK TO SAVEPOINT restore_agent_rows");
  if (!back.ok) return back;
  if (stats_->rolled_back == 0)  // the first of each connection; the report counts them all
    log::Info(who_ + ": " + job.where + ": LOAD DATA gave " +
              (r.ok ? std::to_string(r.warnings) + " warnings, " + std::to_string(r.affected_rows) +
                          " of " + std::to_string(rows.rows) + " rows"
                    : ServerSaid(r)) +
              "; sent the INSERT instead (and so for any other such statement)");
  ++stats_->rolled_back;
  ++stats_->as_sql;
  return conn_.Execute(job.sql);
}

void MysqlLoadWorker::ReplaySession(const SessionScript& script) {
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
  if (!load_data_) return;
  std::vector<std::string> row;
  const MysqlResult r =
      conn_.QueryRow("SELECT @@SESSION.sql_mode, @@SESSION.character_set_client", &row);
  rows_ok_ = r.ok && row.size() == 2 && row[0].find("NO_BACKSLASH_ESCAPES") == std::string::npos &&
             BackslashSafe(row[1]);
  traits_.client_charset = row.size() == 2 ? row[1] : "";
}

// Commits the batch and posts its jobs' outcomes (each with an error if COMMIT failed).
void MysqlLoadWorker::Commit(OutcomeSink& sink) {
  if (held_.empty()) return;
  const MysqlResult r = conn_.Execute("COMMIT");
  for (Held& h : held_) {
    JobOutcome& o = h.outcome;
    if (!r.ok && !o.error) {
      o.error = Error(ErrorKind::kServer, h.where + ": COMMIT failed: " + ServerSaid(r) + " (in " +
                                              h.what + ", " + who_ + ")");
      o.stop = true;
      o.rows = 0;
    }
    sink.Post(std::move(o));
  }
  held_.clear();
  held_bytes_ = 0;
}

namespace {

std::vector<std::unique_ptr<PoolWorker<MysqlJob>>> ConnectWorkers(
    MysqlTarget target, int workers, bool force, bool load_data, std::chrono::milliseconds wait,
    std::vector<MysqlLoadStats>& stats) {
  target.local_infile = load_data;
  std::vector<std::unique_ptr<PoolWorker<MysqlJob>>> out;
  for (int i = 0; i < workers; ++i) {
    out.push_back(std::make_unique<MysqlLoadWorker>(MysqlConnection::Connect(target, wait), i + 1,
                                                    force, load_data, &stats[i]));
  }
  return out;
}

}  // namespace

MysqlLoader::MysqlLoader(const MysqlTarget& target, int workers, bool force, bool load_data,
                         std::chrono::milliseconds wait)
    : MysqlLoader(target, workers, force, load_data, wait,
                  std::make_shared<std::vector<MysqlLoadStats>>(workers)) {}

MysqlLoader::MysqlLoader(const MysqlTarget& target, int workers, bool force, bool load_data,
                         std::chrono::milliseconds wait, StatsPerWorker stats)
    : ParallelLoader(ConnectWorkers(target, workers, force, load_data, wait, *stats),
                     static_cast<size_t>(workers) * (2u << 20)),
      stats_(std::move(stats)) {}

MysqlLoadStats MysqlLoader::stats() const {
  MysqlLoadStats sum;
  for (const MysqlLoadStats& s : *stats_) {
    sum.load_data += s.load_data;
    sum.as_sql += s.as_sql;
    sum.rolled_back += s.rolled_back;
  }
  return sum;
}

}  // namespace ra
