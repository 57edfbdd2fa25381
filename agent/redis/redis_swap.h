// restore-redis swap / finish / recover / rollback: the RDB swap of the 3scale procedure (steps
// 5.1 to 5.5) done natively, with a journal beside the data so that an interrupted run ends in
// exactly the old data or exactly the backup, never a mix.
//
// swap: validate the whole backup (walk, CRC64, RDB version not newer than the server's) ->
//   stage it in the data dir (temp file, fsync; as the AOF base with --as-aof-base or --offline)
//   -> [commit point "staged"] -> runtime `save ""` and `appendonly no` -> move dump.rdb and
//   the append-only data aside to -old names (never deleted) -> rename the staged files into
//   place, fsync the dir -> "swapped". The restart is the caller's.
// finish: after the restart, wait for Redis to load, check per-db key counts against the backup
//   (keys that expired meanwhile accounted for), rewrite the AOF if it was on and poll INFO
//   persistence, put `save` and `appendonly` back.
// recover: after a crash, roll forward to the backup when the commit point was reached, else
//   undo to the old data. rollback: put the -old data back (the backup is moved to -rejected).
#pragma once

#include <string>

#include "agent/core/common_options.h"
#include "agent/redis/redis_client.h"

namespace ra {

struct RedisSwapOptions {
  CommonOptions common;
  std::string backup;
  RedisServerOptions server;
  bool as_aof_base = false;
  bool offline = false;
  std::string data_dir;
  std::string aof_layout = "auto";  // offline: dir (Redis 7) | file (Redis < 7) | auto
  double rewrite_timeout_seconds = 3600;
  std::string sync_journal;  // recover: restore-redis sync's journal (default: its default)
};

int RunRedisSwap(const RedisSwapOptions& options);
int RunRedisFinish(const RedisSwapOptions& options);
int RunRedisRecover(const RedisSwapOptions& options);
int RunRedisRollback(const RedisSwapOptions& options);

}  // namespace ra
