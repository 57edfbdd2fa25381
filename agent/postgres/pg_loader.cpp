#include "agent/postgres/pg_loader.h"

#include <cctype>
#include <cstring>

#include "agent/core/log.h"
#include "agent/core/signals.h"

namespace ra {
namespace {

class PgLoadWorker final : public PoolWorker<PgJob> {
 public:
  PgLoadWorker(const PgTarget& target, int id, std::chrono::milliseconds wait)
      : target_(target), wait_(wait), who_("loading connection " + std::to_string(id)) {}

  void Run(PgJob& job, OutcomeSink& sink) override {
    Prepare(*job.session);
    const PgResult r = job.copy ? Copy(job) : conn_->Execute(job.sql);
    JobOutcome outcome{job.seq, job.key, job.table, r.ok ? r.rows : 0, std::nullopt, false};
    if (!r.ok) {
      outcome.error =
          Error(ErrorKind::kServer, job.where + ": " + r.Describe() + " (" + who_ + ")");
      outcome.stop = job.stop_on_error || r.connection_lost;
    }
    sink.Post(std::move(outcome));
  }

 private:
  // Connected to the job's database, with its session statements replayed.
  void Prepare(const SessionScript& session) {
    bool new_generation = false;
    const std::vector<std::string> pending = replay_.Pending(session, &new_generation);
    if (new_generation || !conn_) {
      PgTarget t = target_;
      t.dbname = session.database;
      conn_.reset();
      conn_.emplace(PgConnection::Connect(t, wait_));
    }
    for (const std::string& s : pending) {
      const PgResult r = conn_->Execute(s);
      if (!r.ok) {
        throw Error(ErrorKind::kServer,
                    who_ + ": replaying '" + s.substr(0, 80) + "': " + r.Describe());
      }
    }
    replay_.Applied(session);
  }

  PgResult Copy(PgJob& job) {
    if (job.truncate_first) {
      // Truncated in this transaction: the rows can be written frozen (no later rewrite of
      // every page to set hint bits and freeze them). Some tables refuse FREEZE (a partitioned
      // parent, ...): then once more without it.
      PgResult r = CopyOnce(job, WithFreeze(job.sql));
      if (r.ok || r.connection_lost || r.sqlstate != "55000") return r;
      return CopyOnce(job, job.sql);
    }
    return CopyOnce(job, job.sql);
  }

  // "COPY t (a) FROM stdin;" as "COPY t (a) FROM stdin WITH (FREEZE)".
  static std::string WithFreeze(std::string sql) {
    while (!sql.empty() &&
           (sql.back() == ';' || std::isspace(static_cast<unsigned char>(sql.back()))))
      sql.pop_back();
    return sql + " WITH (FREEZE)";
  }

  PgResult CopyOnce(PgJob& job, const std::string& copy) {
    PgResult r;
    if (job.truncate_first) {
      r = conn_->Execute("BEGIN");
      if (r.ok) r = conn_->Execute("TRUNCATE ONLY " + job.relation);
    }
    if (r.ok) r = conn_->BeginCopy(copy);
    if (!r.ok) {
      if (job.channel) job.channel->Abandon();
      return EndTransaction(job, r);
    }
    bool sent = SendData(job);
    r = conn_->EndCopy(StopRequested() ? "restore interrupted" : nullptr);
    if (!sent && r.ok) r.ok = false;
    return EndTransaction(job, r);
  }

  // The block's data into the open COPY; false when the server stopped taking it.
  bool SendData(PgJob& job) {
    if (!job.channel) return job.data.empty() || conn_->PutCopyData(job.data);
    std::string chunk;
    while (job.channel->Pop(&chunk)) {
      if (!conn_->PutCopyData(chunk)) {
        job.channel->Abandon();
        return false;
      }
    }
    return true;
  }

  PgResult EndTransaction(const PgJob& job, PgResult r) {
    if (!job.truncate_first) return r;
    const PgResult end = conn_->Execute(r.ok ? "COMMIT" : "ROLLBACK");
    return r.ok && !end.ok ? end : r;
  }

  const PgTarget target_;
  const std::chrono::milliseconds wait_;
  const std::string who_;
  std::optional<PgConnection> conn_;
  SessionReplay replay_;
};

std::vector<std::unique_ptr<PoolWorker<PgJob>>> MakeWorkers(const PgTarget& target, int n,
                                                            std::chrono::milliseconds wait) {
  std::vector<std::unique_ptr<PoolWorker<PgJob>>> out;
  for (int i = 0; i < n; ++i) out.push_back(std::make_unique<PgLoadWorker>(target, i + 1, wait));
  return out;
}

}  // namespace

// Queued jobs hold whole blocks of data: at most 16 MB of them wait.
PgLoader::PgLoader(const PgTarget& target, int workers, std::chrono::milliseconds wait)
    : ParallelLoader(MakeWorkers(target, workers, wait), size_t{16} << 20) {}

void PgLoader::Submit(PgJob job) {
  const size_t weight = job.data.size() + job.sql.size();
  ParallelLoader::Submit(std::move(job), weight);
}

void PgLoader::BeginCopy(PgJob job, uint64_t rows_hint) {
  block_ = std::move(job);
  block_rows_hint_ = rows_hint;
  buffer_.clear();
  parts_.clear();
  line_ = 0;
}

void PgLoader::CopyData(std::string_view data) {
  if (!parts_.empty()) {
    Distribute(data);
    return;
  }
  buffer_.append(data);
  if (buffer_.size() >= kSplitBytes && pool_.size() > 1) Split();
}

void PgLoader::EndCopy() {
  if (parts_.empty()) {
    PgJob job = block_;
    job.data = std::move(buffer_);
    buffer_ = std::string();
    Submit(std::move(job));
    return;
  }
  for (auto& part : parts_) part->Close();
  parts_.clear();
}

void PgLoader::Split() {
  const size_t n = pool_.size();
  log::Info("loading " + block_.table + " (" +
                (block_rows_hint_ > 0 ? std::to_string(block_rows_hint_) + " rows"
                                      : "over " + std::to_string(kSplitBytes >> 20) + " MB") +
                ") over " + std::to_string(n) + " connections",
            {{"table", block_.table}, {"parts", n}});
  for (size_t i = 0; i < n; ++i) {
    PgJob job = block_;
    job.truncate_first = false;  // TRUNCATE would lock the other parts out
    auto channel = std::make_shared<ByteChannel>(size_t{1} << 20);
    job.channel = std::make_shared<ByteChannelReader>(channel);
    parts_.push_back(channel);
    ParallelLoader::Submit(std::move(job), 0);
  }
  std::string buffered = std::move(buffer_);
  buffer_ = std::string();
  Distribute(buffered);
}

// Runs of whole lines whose group belongs to one part: lines are counted in the bytes
// themselves, so the split does not depend on where the splitter cut its items.
void PgLoader::Distribute(std::string_view d) {
  const uint64_t n = parts_.size();
  size_t run_start = 0, pos = 0;
  uint64_t part = (line_ / kCopySplitLines) % n;
  while (pos < d.size()) {
    const void* nl = std::memchr(d.data() + pos, '\n', d.size() - pos);
    if (nl == nullptr) break;
    pos = static_cast<size_t>(static_cast<const char*>(nl) - d.data()) + 1;
    ++line_;
    const uint64_t next = (line_ / kCopySplitLines) % n;
    if (next != part) {
      parts_[part]->Push(d.substr(run_start, pos - run_start));
      run_start = pos;
      part = next;
    }
  }
  if (run_start < d.size()) parts_[part]->Push(d.substr(run_start));
}

}  // namespace ra
