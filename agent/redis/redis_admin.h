// What the Redis commands (swap/finish, replay, sync) ask of a running server beyond single
// commands: which RDB versions it loads, an AOF rewrite or a snapshot polled to its end, and
// whether the key counts per database match what a backup holds.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "agent/redis/redis_client.h"

namespace ra {

// Highest RDB version a Redis (or Valkey) version ("7.0.15") loads.
int MaxRdbVersionFor(const std::string& redis_version);

// BGREWRITEAOF (or CONFIG SET appendonly yes when the AOF is off), then polls INFO persistence
// until aof_rewrite_in_progress and aof_rewrite_scheduled are 0; throws on timeout or failure.
void RewriteAofAndWait(RedisConnection& conn, double timeout_seconds);

// Keys the server holds per database (INFO keyspace).
std::map<uint64_t, uint64_t> KeysPerDb(RedisConnection& conn);

// What a backup's key counts allow per database: persistent keys exactly; of those with an
// expiry, at most the ones alive at `loaded_ms` and at least the ones alive now.
struct KeyRange {
  uint64_t min = 0, max = 0;
};
std::map<uint64_t, KeyRange> ExpectedKeys(const std::map<uint64_t, uint64_t>& persistent,
                                          const std::vector<std::pair<uint64_t, int64_t>>& expiries,
                                          int64_t loaded_ms, int64_t now_ms);
// "" when `held` fits `expected`, else what differs (" db0 holds 3 keys, the backup 5;").
std::string DescribeKeyMismatch(const std::map<uint64_t, KeyRange>& expected,
                                const std::map<uint64_t, uint64_t>& held);

int64_t UnixMillis();

// Tests kill the agent after a chosen journal step (RA_FAULT_INJECT=after:STEP), as a crash or
// a kill -9 of the pod would. Nothing happens without the variable.
void FaultPoint(const std::string& step);

// Waits until no AOF rewrite runs or is scheduled (one the server started itself, as after a
// full sync, or ours), starting one when `start` and none runs; throws on timeout or failure.
void WaitAofRewrite(RedisConnection& conn, bool start, double timeout_seconds);
// BGSAVE (after any save in progress) polled to its end; throws on timeout or failure.
void SnapshotAndWait(RedisConnection& conn, double timeout_seconds);

}  // namespace ra
