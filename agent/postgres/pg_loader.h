// PgLoader: the loading connections of restore-postgres --jobs N, like pg_restore -j on an
// archive but from one plain stream that is read and decompressed once, by the main thread.
//
// COPY blocks: the main thread gathers a block's data as the splitter hands it on. A block that
// ends within kSplitBytes becomes one job carrying its data (`BEGIN; TRUNCATE ONLY t; COPY ...;
// COMMIT` when this restore created t and nothing was loaded into it yet, so a server with
// wal_level=minimal writes no WAL for it). A larger block is split over every connection by
// groups of kCopySplitLines lines, streamed to each through a bounded ByteChannel: one large
// table is not the critical path (its rows are the same, their physical order is not).
//
// Post-data statements (CREATE INDEX, non-FK constraints) run here once their table's data is
// in (pg_route.h). Session statements are replayed per connection; a \connect starts a new
// session generation and the connections follow to that database.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "agent/core/byte_channel.h"
#include "agent/core/parallel_loader.h"
#include "agent/postgres/pg_client.h"

namespace ra {

struct PgJob {
  uint64_t seq = 0;
  std::string key;
  std::string sql;    // the statement, or the COPY statement
  std::string where;  // "file:line (statement N, byte B)", for messages
  bool stop_on_error = true;
  SessionSnapshot session;
  // COPY only
  bool copy = false;
  std::string table;     // rows are reported under it ("db.schema.table")
  std::string relation;  // as the dump writes it, for TRUNCATE ONLY
  bool truncate_first = false;
  std::string data;                            // the whole block, or
  std::shared_ptr<ByteChannelReader> channel;  // a part of a split block, as it streams
};

// Blocks larger than this are split over the connections; lines go to parts in groups.
inline constexpr size_t kSplitBytes = size_t{4} << 20;
inline constexpr uint64_t kCopySplitLines = 4096;

class PgLoader : public ParallelLoader<PgJob> {
 public:
  PgLoader(const PgTarget& target, int workers, std::chrono::milliseconds wait);

  void NewDatabase(const std::string& dbname) { session_.NewDatabase(dbname); }
  // A statement (post-data) for a connection.
  void Submit(PgJob job);

  // A COPY block: BeginCopy with the job (without data), its data, EndCopy. `rows_hint` (the
  // preflight's count, 0 if unknown) is only for the message when the block is split.
  void BeginCopy(PgJob job, uint64_t rows_hint);
  void CopyData(std::string_view data);
  void EndCopy();

 private:
  void Split();
  void Distribute(std::string_view data);

  // The COPY block being read.
  PgJob block_;
  uint64_t block_rows_hint_ = 0;
  std::string buffer_;
  std::vector<std::shared_ptr<ByteChannel>> parts_;
  uint64_t line_ = 0;  // lines of the block distributed so far
};

}  // namespace ra
