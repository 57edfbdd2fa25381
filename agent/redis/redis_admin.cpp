#include "agent/redis/redis_admin.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "agent/core/error.h"
#include "agent/core/log.h"

namespace ra {

int MaxRdbVersionFor(const std::string& v) {
  int major = 0, minor = 0;
  std::sscanf(v.c_str(), "%d.%d", &major, &minor);
  if (major >= 8 || (major == 7 && minor >= 4)) return 12;
  if (major == 7 && minor >= 2) return 11;
  if (major == 7) return 10;
  if (major >= 5) return 9;
  if (major == 4) return 8;
  if (major == 3 && minor >= 2) return 7;
  return 6;
}

namespace {

using Clock = std::chrono::steady_clock;

// Polls INFO persistence until `done` says so; logs every 5 s; throws at the deadline.
template <class Done>
std::map<std::string, std::string> PollPersistence(RedisConnection& conn, double timeout_seconds,
                                                   const std::string& what, Done done) {
  const auto deadline =
      Clock::now() + std::chrono::milliseconds(static_cast<int64_t>(timeout_seconds * 1000));
  auto next_log = Clock::now() + std::chrono::seconds(5);
  for (;;) {
    auto p = conn.Info("persistence");
    if (done(p)) return p;
    if (Clock::now() > deadline) {
      throw Error(ErrorKind::kServer, what + " did not end within " +
                                          std::to_string(static_cast<int>(timeout_seconds)) + " s");
    }
    if (Clock::now() > next_log) {
      log::Info("waiting for " + what);
      next_log += std::chrono::seconds(5);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

bool NoRewrite(std::map<std::string, std::string>& p) {
  return p["aof_rewrite_in_progress"] == "0" && p["aof_rewrite_scheduled"] == "0";
}

}  // namespace

void RewriteAofAndWait(RedisConnection& conn, double timeout_seconds) {
  auto p = conn.Info("persistence");
  if (p["aof_enabled"] == "1") {
    WaitAofRewrite(conn, true, timeout_seconds);
    return;
  }
  conn.Must({"CONFIG", "SET", "appendonly", "yes"});  // starts a rewrite
  WaitAofRewrite(conn, false, timeout_seconds);
}

void WaitAofRewrite(RedisConnection& conn, bool start, double timeout_seconds) {
  auto p = conn.Info("persistence");
  if (start && NoRewrite(p)) {
    const RedisReply r = conn.Command({"BGREWRITEAOF"});
    if (r.is_error() && r.str.find("already in progress") == std::string::npos)
      throw Error(ErrorKind::kServer, "BGREWRITEAOF failed: " + r.str);
  }
  p = PollPersistence(conn, timeout_seconds, "the AOF rewrite", NoRewrite);
  if (p["aof_last_bgrewrite_status"] != "ok") {
    throw Error(ErrorKind::kServer, "the AOF rewrite failed: aof_last_bgrewrite_status " +
                                        p["aof_last_bgrewrite_status"]);
  }
}

void SnapshotAndWait(RedisConnection& conn, double timeout_seconds) {
  const auto idle = [](std::map<std::string, std::string>& p) {
    return p["rdb_bgsave_in_progress"] == "0";
  };
  PollPersistence(conn, timeout_seconds, "a snapshot in progress", idle);
  conn.Must({"BGSAVE"});
  const auto p = PollPersistence(conn, timeout_seconds, "the snapshot (BGSAVE)", idle);
  if (p.at("rdb_last_bgsave_status") != "ok") {
    throw Error(ErrorKind::kServer,
                "the snapshot failed: rdb_last_bgsave_status " + p.at("rdb_last_bgsave_status"));
  }
}

void FaultPoint(const std::string& step) {
  const char* spec = std::getenv("RA_FAULT_INJECT");
  if (spec != nullptr && std::string(spec) == "after:" + step) ::_exit(137);
}

std::map<uint64_t, uint64_t> KeysPerDb(RedisConnection& conn) {
  std::map<uint64_t, uint64_t> out;
  for (const auto& [name, value] : conn.Info("keyspace")) {
    if (name.rfind("db", 0) != 0) continue;
    out[std::stoull(name.substr(2))] = std::stoull(value.substr(5));  // "keys=N,expires=..."
  }
  return out;
}

std::map<uint64_t, KeyRange> ExpectedKeys(const std::map<uint64_t, uint64_t>& persistent,
                                          const std::vector<std::pair<uint64_t, int64_t>>& expiries,
                                          int64_t loaded_ms, int64_t now_ms) {
  std::map<uint64_t, KeyRange> out;
  for (const auto& [db, n] : persistent) out[db] = {n, n};
  for (const auto& [db, ms] : expiries) {
    KeyRange& e = out[db];
    if (ms > now_ms) ++e.min;
    if (ms > loaded_ms) ++e.max;
  }
  return out;
}

std::string DescribeKeyMismatch(const std::map<uint64_t, KeyRange>& expected,
                                const std::map<uint64_t, uint64_t>& held) {
  std::string out;
  for (const auto& [db, range] : expected) {
    const auto it = held.find(db);
    const uint64_t keys = it == held.end() ? 0 : it->second;
    if (keys >= range.min && keys <= range.max) continue;
    out += " db" + std::to_string(db) + " holds " + std::to_string(keys) + " keys, the backup " +
           std::to_string(range.min) +
           (range.min == range.max ? "" : " to " + std::to_string(range.max)) + ";";
  }
  for (const auto& [db, keys] : held) {
    if (!expected.count(db) && keys > 0)
      out += " db" + std::to_string(db) + " holds keys the backup does not have;";
  }
  return out;
}

int64_t UnixMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace ra
