#include "agent/pg_parallel.h"

#include <cctype>
#include <cstring>
#include <memory>

#include "agent/dump_input.h"
#include "agent/log.h"
#include "agent/signals.h"
#include "protocols/pg_dump_splitter.h"
#include "protocols/pg_statement.h"

namespace ra {
namespace {

std::string Upper(std::string_view s) {
  std::string out;
  for (char c : s) out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

// The next word (an identifier possibly quoted, with dots) of `s` from `pos`.
std::string NextName(const std::string& s, size_t pos) {
  while (pos < s.size() && std::isspace(static_cast<unsigned char>(s[pos]))) ++pos;
  const size_t start = pos;
  bool quoted = false;
  while (pos < s.size()) {
    const char c = s[pos];
    if (c == '"') quoted = !quoted;
    else if (!quoted && (std::isspace(static_cast<unsigned char>(c)) || c == '(' || c == ';'))
      break;
    ++pos;
  }
  return s.substr(start, pos - start);
}

}  // namespace

std::string PgCopyRelation(const std::string& sql) {
  const size_t p = sql.find_first_not_of(" \t\r\n");
  return p == std::string::npos ? "" : NextName(sql, p + 5);
}

std::string PgParallelTarget(const std::string& sql) {
  const std::string up = Upper(sql.substr(0, 4096));
  size_t p = up.find_first_not_of(" \t\r\n");
  if (p == std::string::npos) return "";
  if (up.compare(p, 13, "CREATE INDEX ") == 0 || up.compare(p, 20, "CREATE UNIQUE INDEX ") == 0) {
    size_t on = up.find(" ON ", p);
    if (on == std::string::npos) return "";
    on += 4;
    while (on < up.size() && up[on] == ' ') ++on;
    if (up.compare(on, 5, "ONLY ") == 0) on += 5;
    return NextName(sql, on);
  }
  if (up.compare(p, 12, "ALTER TABLE ") == 0 && up.find(" ADD CONSTRAINT ") != std::string::npos &&
      up.find("FOREIGN KEY") == std::string::npos) {
    size_t t = p + 12;
    while (t < up.size() && up[t] == ' ') ++t;
    if (up.compare(t, 5, "ONLY ") == 0) t += 5;
    return NextName(sql, t);
  }
  return "";
}

PgParallelLoader::PgParallelLoader(std::string path, const PgTarget& target, int workers,
                                   bool stop_on_error, std::chrono::milliseconds wait)
    : path_(std::move(path)), target_(target), stop_on_error_(stop_on_error), wait_(wait) {
  for (int i = 0; i < workers; ++i) threads_.emplace_back(&PgParallelLoader::Work, this, i);
}

PgParallelLoader::~PgParallelLoader() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.clear();
  }
  StopAndJoin();
}

void PgParallelLoader::Connected(const std::string& dbname) {
  std::lock_guard<std::mutex> lock(mu_);
  dbname_ = dbname;
  session_.clear();
}

void PgParallelLoader::AddSessionStatement(const std::string& sql) {
  std::lock_guard<std::mutex> lock(mu_);
  session_.push_back(sql);
}

void PgParallelLoader::Submit(Job job) {
  std::unique_lock<std::mutex> lock(mu_);
  // Jobs are small (a statement and a position): a short queue keeps the workers' readers close.
  space_cv_.wait(lock, [&] { return error_.has_value() || queue_.size() < threads_.size() * 2; });
  ThrowIfFailedLocked();
  job.dbname = dbname_;
  job.session_version = session_.size();
  StartedLocked(job.table);
  queue_.push_back(std::move(job));
  lock.unlock();
  work_cv_.notify_one();
}

void PgParallelLoader::SubmitCopy(uint64_t copy_index, uint64_t offset, const std::string& sql,
                                  const std::string& report_name, bool truncate_first,
                                  const std::string& where, int parts) {
  for (int part = 0; part < parts; ++part) {
    Job job;
    job.copy = true;
    job.copy_index = copy_index;
    job.offset = offset;
    job.sql = sql;
    job.table = PgCopyRelation(sql);
    job.report_name = report_name;
    job.truncate_first = truncate_first && parts == 1;  // TRUNCATE would lock the other parts out
    job.where = where;
    job.part = part;
    job.parts = parts;
    Submit(std::move(job));
  }
}

void PgParallelLoader::SubmitStatement(const std::string& sql, const std::string& table,
                                       const std::string& where) {
  WaitTable(table);
  Job job;
  job.sql = sql;
  job.table = table + " (post-data)";  // its own count: WaitTable(table) does not wait for it
  job.where = where;
  Submit(std::move(job));
}

void PgParallelLoader::Work(int id) {
  const std::string who = "loading connection " + std::to_string(id + 1);
  try {
    StreamCounters counters;
    auto input = std::make_unique<DumpInput>(path_, &counters);
    input->StartReadAhead(2);
    std::unique_ptr<PgDumpSplitter> splitter;
    PgDumpItem item;
    std::string window;         // the chunk last fed to the splitter
    uint64_t window_start = 0;  // its offset in the uncompressed stream
    uint64_t read_end = 0;      // uncompressed bytes taken from the input so far
    bool input_done = false;
    std::optional<PgConnection> conn;
    std::string conn_db;
    size_t session_applied = 0;

    auto feed_more = [&]() -> bool {
      if (input_done) return false;
      const std::string_view chunk = input->NextChunk();
      if (chunk.empty()) {
        splitter->Finish();
        input_done = true;
        return true;
      }
      window.assign(chunk);
      window_start = read_end;
      read_end += chunk.size();
      splitter->Feed(window);
      return true;
    };
    // Moves this worker's reader to the COPY statement at uncompressed byte `offset`: what comes
    // before is only decompressed, and splitting starts at the statement.
    auto seek_copy = [&](uint64_t offset) {
      splitter = std::make_unique<PgDumpSplitter>();
      if (offset < window_start) {
        // Another part of a block this reader has passed: read the file from its start again.
        input = std::make_unique<DumpInput>(path_, &counters);
        input->StartReadAhead(2);
        window.clear();
        window_start = read_end = 0;
        input_done = false;
      }
      if (offset < read_end) {
        splitter->Feed(std::string_view(window).substr(offset - window_start));
      } else {
        for (;;) {
          const std::string_view chunk = input->NextChunk();
          if (chunk.empty()) throw Error(ErrorKind::kInternal, who + ": COPY block not found again");
          if (read_end + chunk.size() > offset) {
            window.assign(chunk);
            window_start = read_end;
            read_end += chunk.size();
            splitter->Feed(std::string_view(window).substr(offset - window_start));
            break;
          }
          read_end += chunk.size();
        }
      }
      for (;;) {
        while (splitter->Next(&item)) {
          if (item.type == PgDumpItem::Type::kStatement &&
              ClassifyPgStatement(item.text).kind == StatementKind::kCopyFromStdin)
            return;
          throw Error(ErrorKind::kInternal, who + ": no COPY statement at byte " + std::to_string(offset));
        }
        if (!feed_more()) throw Error(ErrorKind::kInternal, who + ": COPY block not found again");
      }
    };
    // The next item of the current COPY block (data or end).
    auto next_item = [&]() -> bool {
      for (;;) {
        if (splitter->Next(&item)) return true;
        if (!feed_more()) return false;
      }
    };

    for (;;) {
      std::unique_lock<std::mutex> lock(mu_);
      work_cv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
      if (queue_.empty()) return;
      Job job = std::move(queue_.front());
      queue_.pop_front();
      if (conn_db != job.dbname) session_applied = 0;
      std::vector<std::string> session(session_.begin() + static_cast<long>(session_applied),
                                       session_.begin() + static_cast<long>(job.session_version));
      lock.unlock();
      space_cv_.notify_one();

      if (conn_db != job.dbname || !conn) {
        PgTarget t = target_;
        t.dbname = job.dbname;
        conn.reset();
        conn.emplace(PgConnection::Connect(t, wait_));
        conn_db = job.dbname;
      }
      for (const auto& s : session) {
        const PgResult r = conn->Execute(s);
        if (!r.ok) throw Error(ErrorKind::kServer, who + ": replaying '" + s.substr(0, 80) + "': " + r.Describe());
      }
      session_applied = job.session_version;

      PgResult result;
      uint64_t copied = 0;
      if (job.copy) {
        seek_copy(job.offset);
        bool ok = true;
        if (job.truncate_first) {
          result = conn->Execute("BEGIN");
          if (result.ok) result = conn->Execute("TRUNCATE ONLY " + job.table);
          ok = result.ok;
        }
        if (ok) result = conn->BeginCopy(job.sql);
        const bool copying = ok && result.ok;
        uint64_t line = 0;  // of the block: a split block's lines go to parts in groups
        auto put = [&](std::string_view data) {
          if (copying && !data.empty() && !conn->PutCopyData(data)) {
            result = conn->EndCopy();
            throw Error(ErrorKind::kServer, job.where + ": sending COPY data failed (" + who + "): " + result.primary);
          }
        };
        while (next_item() && item.type == PgDumpItem::Type::kCopyData) {
          if (job.parts == 1) {
            put(item.text);
            continue;
          }
          // Runs of whole lines whose group belongs to this part. Lines are counted in the
          // bytes themselves, so every part splits the block the same way, whatever the items.
          std::string_view d = item.text;
          size_t run_start = 0, pos = 0;
          bool in_run = static_cast<int>((line / kCopySplitLines) % job.parts) == job.part;
          while (pos < d.size()) {
            const void* nl = std::memchr(d.data() + pos, '\n', d.size() - pos);
            if (nl == nullptr) break;
            pos = static_cast<size_t>(static_cast<const char*>(nl) - d.data()) + 1;
            ++line;
            const bool next_in = static_cast<int>((line / kCopySplitLines) % job.parts) == job.part;
            if (next_in != in_run) {
              if (in_run) put(d.substr(run_start, pos - run_start));
              run_start = pos;
              in_run = next_in;
            }
          }
          if (in_run) put(d.substr(run_start));
        }
        if (copying) {
          result = conn->EndCopy(StopRequested() ? "restore interrupted" : nullptr);
          copied = result.rows;
        }
        if (job.truncate_first) {
          const PgResult end = conn->Execute(result.ok ? "COMMIT" : "ROLLBACK");
          if (result.ok && !end.ok) result = end;
        }
      } else {
        result = conn->Execute(job.sql);
      }

      std::lock_guard<std::mutex> guard(mu_);
      if (!result.ok) {
        const std::string message = job.where + ": " + result.Describe() + " (" + who + ")";
        ++errors_;
        if (stop_on_error_ || result.connection_lost) {
          FailLocked(Error(ErrorKind::kServer, message));
          return;
        }
        log::Error(message);
      }
      if (job.copy) server_rows_[job.report_name] += copied;
      DoneLocked(job.table);
    }
  } catch (const Error& e) {
    Fail(e);
  } catch (const std::exception& e) {
    Fail(Error(ErrorKind::kInternal, who + ": " + e.what()));
  }
}

}  // namespace ra
