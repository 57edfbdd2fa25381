// restore-redis sync: restores a live Redis by acting as its master. The agent listens on a
// loopback port, tells the server REPLICAOF 127.0.0.1 <port>, and hands it the backup as the
// full-resync payload; the server loads it at startup-load speed with repl-diskless-load swapdb,
// keeping its old data until the new set is whole (Redis 7 serves the old data meanwhile, as
// it does when the +FULLRESYNC replication id is its own: the agent echoes it, with the offset
// moved on so that the server's own replicas resync in full). Then REPLICAOF NO ONE, every
// setting put back, the data made durable (the AOF rewrite a full sync starts, or a BGSAVE) and
// the key counts checked against the backup. No file access, no ConfigMap edit, no restart.
//
// Before anything: the whole backup validated (a payload with a bad CRC makes a server exit)
// and every precondition checked (sync_checks.h). A journal records each step; if the agent
// dies, `restore-redis recover` — and any later restore-redis command against the server —
// finds the server a replica of the agent's gone port and makes it a master again with its
// settings: its data is then exactly the old set or exactly the backup.
#pragma once

#include <cstdint>
#include <string>

#include "agent/core/common_options.h"
#include "agent/redis/redis_client.h"

namespace ra {

struct RedisSyncOptions {
  CommonOptions common;
  std::string backup;
  RedisServerOptions server;
  std::string journal;  // default: DefaultSyncJournal(server)
  double load_timeout_seconds = 3600;
  double rewrite_timeout_seconds = 3600;
  uint64_t expected_memory = 0;  // the backup's data set in memory; 0: twice the RDB's size
  bool check_only = false;       // validate and check the preconditions, change nothing
};

int RunRedisSync(const RedisSyncOptions& options);

// ${TMPDIR:-/tmp}/restore-agent-sync-<target>.journal
std::string DefaultSyncJournal(const RedisServerOptions& server);

// When a sync left `conn`'s server a replica of an agent that is gone (or stopped before it
// put everything back), finishes what the journal at `journal` says is left: REPLICAOF NO ONE,
// the settings, the durability step when the server holds the backup. Returns whether there
// was one.
bool RecoverAbandonedSync(RedisConnection& conn, const std::string& journal,
                          double rewrite_timeout_seconds);

}  // namespace ra
