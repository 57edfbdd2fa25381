// Parallel loading of a plain pg_dump / pg_dumpall file, like pg_restore -j on an archive:
// the main connection runs the dump in order and skips the data of each COPY block, which a
// worker connection loads instead, reading the same file through its own reader up to that
// block, decompressing but not parsing what comes before it (`BEGIN; TRUNCATE ONLY t; COPY ...; COMMIT` for a table this restore created, so a
// server with wal_level=minimal writes no WAL for it). Index and PRIMARY KEY / UNIQUE / CHECK
// constraint statements run on the workers too, once their table's data is in; foreign keys,
// triggers, ACLs and anything else run on the main connection after every earlier job is done.
// Session statements (SET, set_config of search_path) are replayed on each worker in dump
// order, and every \connect is a barrier: workers follow to the new database.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "agent/error.h"
#include "agent/pg_client.h"
#include "agent/worker_pool.h"

namespace ra {

class PgParallelLoader : public WorkerPool {
 public:
  PgParallelLoader(std::string path, const PgTarget& target, int workers, bool stop_on_error,
                   std::chrono::milliseconds wait);
  ~PgParallelLoader();

  // The main connection moved to `dbname` (after WaitAll): later jobs and session statements
  // belong to it.
  void Connected(const std::string& dbname);
  void AddSessionStatement(const std::string& sql);
  // The copy_index-th COPY statement of the stream (1-based), at uncompressed byte `offset`;
  // its rows are reported under `report_name` ("db.schema.table"). parts > 1 splits the block
  // over that many connections by groups of lines (a large table of an empty database: the
  // rows are the same, their physical order is not).
  void SubmitCopy(uint64_t copy_index, uint64_t offset, const std::string& sql,
                  const std::string& report_name, bool truncate_first, const std::string& where,
                  int parts = 1);
  // A post-data statement on `table` (CREATE INDEX, ADD CONSTRAINT); waits for the table's data.
  void SubmitStatement(const std::string& sql, const std::string& table, const std::string& where);
  // WaitTable, WaitAll, Finish, errors() and ServerRows() ("db.schema.table" -> rows copied)
  // come from WorkerPool.

 private:
  struct Job {
    bool copy = false;
    uint64_t copy_index = 0;
    uint64_t offset = 0;
    std::string sql, table, where, dbname, report_name;
    bool truncate_first = false;
    int part = 0, parts = 1;
    size_t session_version = 0;
  };
  void Work(int id);
  void Submit(Job job);

  const std::string path_;
  const PgTarget target_;
  const bool stop_on_error_;
  const std::chrono::milliseconds wait_;
  std::deque<Job> queue_;  // guarded by mu_
  std::string dbname_;
  std::vector<std::string> session_;  // of the current database, in dump order
};

// The table a CREATE INDEX is on, or of an ALTER TABLE ... ADD CONSTRAINT that is not a
// FOREIGN KEY (those can run in parallel once the table is loaded); "" otherwise. Quoted as in
// the dump.
std::string PgParallelTarget(const std::string& sql);
// Lines of a split COPY block go to its parts in groups of this many.
inline constexpr uint64_t kCopySplitLines = 4096;

// The relation of a COPY ... FROM stdin, as written in the dump.
std::string PgCopyRelation(const std::string& sql);

}  // namespace ra
