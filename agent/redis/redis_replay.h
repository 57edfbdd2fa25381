// restore-redis replay: restores an RDB into a live server through hiredis, database by
// database, with no restart, no file access and no ConfigMap edit. Each key becomes
// RESTORE key ttl payload ABSTTL [REPLACE] [IDLETIME s | FREQ f], pipelined; values too large
// for one command are written in pieces as plain commands.
//
// Version rule: a backup whose RDB version is newer than the target server's is refused before
// anything is written (the server would reject the payloads, and older servers do not know the
// newer encodings).
#pragma once

#include <string>
#include <vector>

#include "agent/core/common_options.h"
#include "agent/redis/redis_client.h"

namespace ra {

struct RedisReplayOptions {
  CommonOptions common;
  std::string backup;
  RedisServerOptions server;
  std::vector<int> dbs;             // only these source databases (empty: all)
  std::vector<std::string> db_map;  // "SRC:DST"
  bool flush_target_dbs = false;
  bool replace = false;
  double rewrite_timeout_seconds = 3600;
  size_t pipeline_bytes = size_t{8} << 20;  // bound on bytes awaiting replies
};

int RunRedisReplay(const RedisReplayOptions& options);

}  // namespace ra
