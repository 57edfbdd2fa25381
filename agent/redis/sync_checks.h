// What restore-redis sync needs to know about its target before it changes anything, and the
// preconditions it refuses on — each with its own reason, all of them at once.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "agent/core/rdb_scan.h"
#include "agent/redis/redis_client.h"

namespace ra {

struct SyncTarget {
  std::string version;
  std::map<std::string, std::string> replication;  // INFO replication
  std::string replid;                              // master_replid
  uint64_t offset = 0;                             // master_repl_offset
  int port = 0;                                    // CONFIG GET port (0: none)
  bool aof = false;
  // The settings the sync changes, as they were ("" when the server has no such setting).
  std::map<std::string, std::string> settings;
  uint64_t used_memory = 0, maxmemory = 0;
  int64_t pid = 0;  // process_id
};

// The settings the sync sets for its duration, and to what.
const std::map<std::string, std::string>& SyncSettings();

SyncTarget DescribeSyncTarget(RedisConnection& conn);

// Every precondition that does not hold, as a sentence each; empty when the sync may run.
// `new_memory`: what the backup's data set takes in memory (an estimate).
std::vector<std::string> SyncProblems(RedisConnection& conn, const SyncTarget& t,
                                      uint64_t new_memory);

// The memory limit of the container the server runs in, when the agent can see it (it runs in
// the same pod, as `oc exec` into the Redis container does); 0 when it cannot.
uint64_t ServerCgroupMemoryLimit(int64_t server_pid);

}  // namespace ra
