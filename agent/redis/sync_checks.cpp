#include "agent/redis/sync_checks.h"

#include <fstream>
#include <sstream>

#include "agent/core/log.h"
#include "agent/core/progress.h"

namespace ra {
namespace {

uint64_t ToU64(const std::string& s) {
  try {
    return s.empty() ? 0 : std::stoull(s);
  } catch (const std::exception&) {
    return 0;
  }
}

std::string ReadFirstLine(const std::string& path) {
  std::ifstream f(path);
  std::string line;
  std::getline(f, line);
  return line;
}

// Sentinels name their connections sentinel-<id>-cmd / -pubsub.
std::string SentinelClient(RedisConnection& conn) {
  const RedisReply r = conn.Command({"CLIENT", "LIST"});
  std::istringstream lines(r.str);
  std::string line;
  while (std::getline(lines, line)) {
    const size_t at = line.find(" name=sentinel-");
    if (at != std::string::npos) return line.substr(0, line.find(' '));
  }
  return "";
}

// Loaded modules not known to load diskless (Redis 8's built-in vectorset does: measured).
std::string UncertainModules(RedisConnection& conn) {
  const RedisReply list = conn.Command({"MODULE", "LIST"});
  std::string out;
  for (const RedisReply& m : list.elements) {
    for (size_t i = 0; i + 1 < m.elements.size(); i += 2) {
      if (m.elements[i].str != "name" || m.elements[i + 1].str == "vectorset") continue;
      out += (out.empty() ? "" : ", ") + m.elements[i + 1].str;
    }
  }
  return out;
}

// The commands the sync runs must exist under their names and be allowed to this user.
void CheckCommands(RedisConnection& conn, const SyncTarget& t, std::vector<std::string>* out) {
  static const std::vector<std::vector<std::string>> kNeeded = {
      {"REPLICAOF", "NO", "ONE"},
      {"CONFIG", "SET", "repl-diskless-load", "swapdb"},
      {"BGSAVE"},
      {"BGREWRITEAOF"}};
  const RedisReply whoami = conn.Command({"ACL", "WHOAMI"});
  for (const auto& cmd : kNeeded) {
    const RedisReply info = conn.Command({"COMMAND", "INFO", cmd[0]});
    if (info.type == RedisReply::Type::kArray && !info.elements.empty() &&
        info.elements[0].type == RedisReply::Type::kNil) {
      out->push_back(cmd[0] +
                     " is not available under its name (renamed or disabled in the "
                     "server's configuration)");
      continue;
    }
    if (t.version < "7" || whoami.is_error()) continue;  // ACL DRYRUN came with Redis 7.0
    std::vector<std::string> dry = {"ACL", "DRYRUN", whoami.str};
    dry.insert(dry.end(), cmd.begin(), cmd.end());
    const RedisReply r = conn.Command(dry);
    if (r.is_error() && r.str.find("NOPERM") == 0) continue;  // DRYRUN itself not allowed
    if (r.is_error() || (r.type == RedisReply::Type::kString && r.str != "OK"))
      out->push_back("user '" + whoami.str + "' may not run " + cmd[0] + ": " + r.str);
  }
}

void CheckMemory(const SyncTarget& t, uint64_t new_memory, std::vector<std::string>* out) {
  const std::string need = FormatBytes(new_memory);
  if (t.maxmemory > 0 && new_memory > t.maxmemory) {
    out->push_back("the backup's data set (about " + need + ") is larger than maxmemory (" +
                   FormatBytes(t.maxmemory) +
                   "); a replica ignores maxmemory and would evict "
                   "after the promotion");
  } else if (t.maxmemory > 0 && t.used_memory + new_memory > t.maxmemory) {
    out->push_back(
        "old and new data are held at once while loading: " + FormatBytes(t.used_memory) +
        " used + about " + need + " is over maxmemory (" + FormatBytes(t.maxmemory) + ")");
  }
  const uint64_t limit = ServerCgroupMemoryLimit(t.pid);
  if (limit > 0 && t.used_memory + new_memory > limit) {
    out->push_back("old and new data are held at once while loading: " +
                   FormatBytes(t.used_memory) + " used + about " + need +
                   " is over the container's memory limit (" + FormatBytes(limit) + ")");
  }
}

}  // namespace

const std::map<std::string, std::string>& SyncSettings() {
  // swapdb: the old data stays (served on Redis 7) until the new set is loaded whole; never
  // the disk mode, where a refused payload has replaced dump.rdb already.
  static const std::map<std::string, std::string> kSettings = {
      {"repl-diskless-load", "swapdb"},
      {"replica-lazy-flush", "yes"},
      {"replica-serve-stale-data", "yes"},
      {"tls-replication", "no"},  // the agent's side of the link is plain TCP on loopback
  };
  return kSettings;
}

SyncTarget DescribeSyncTarget(RedisConnection& conn) {
  SyncTarget t;
  auto server = conn.Info("server");
  t.version = server["redis_version"];
  t.pid = static_cast<int64_t>(ToU64(server["process_id"]));
  t.replication = conn.Info("replication");
  t.replid = t.replication["master_replid"];
  t.offset = ToU64(t.replication["master_repl_offset"]);
  t.port = static_cast<int>(ToU64(conn.ConfigGet("port")));
  t.aof = conn.ConfigGet("appendonly") == "yes";
  for (const auto& [name, value] : SyncSettings()) t.settings[name] = conn.ConfigGet(name);
  auto memory = conn.Info("memory");
  t.used_memory = ToU64(memory["used_memory"]);
  t.maxmemory = ToU64(memory["maxmemory"]);
  return t;
}

std::vector<std::string> SyncProblems(RedisConnection& conn, const SyncTarget& t,
                                      uint64_t new_memory) {
  std::vector<std::string> out;
  auto cluster = conn.Info("cluster");
  if (cluster["cluster_enabled"] == "1")
    out.push_back("it runs in cluster mode, where REPLICAOF is refused");
  auto repl = t.replication;
  if (repl["role"] != "master")
    out.push_back("it is a replica of " + repl["master_host"] + ":" + repl["master_port"] +
                  ", not a master");
  if (t.settings.at("repl-diskless-load").empty())
    out.push_back("Redis " + t.version + " has no repl-diskless-load (6.0 or later is needed)");
  const std::string sentinel = SentinelClient(conn);
  if (!sentinel.empty())
    out.push_back("Sentinel watches it (client " + sentinel + "): it would undo the REPLICAOF");
  const std::string modules = UncertainModules(conn);
  if (!modules.empty())
    out.push_back("it has modules loaded (" + modules +
                  "): a module type without diskless-load "
                  "support makes it load from disk, where a refused payload has replaced "
                  "dump.rdb already");
  CheckCommands(conn, t, &out);
  CheckMemory(t, new_memory, &out);
  if (ToU64(repl["connected_slaves"]) > 0)
    log::Warn("the server has " + repl["connected_slaves"] +
              " replicas of its own: they will resync from it in full after the restore");
  return out;
}

uint64_t ServerCgroupMemoryLimit(int64_t server_pid) {
  if (server_pid <= 0) return 0;
  // The pid is the server's only when the agent shares its process namespace (same pod).
  const std::string comm = ReadFirstLine("/proc/" + std::to_string(server_pid) + "/comm");
  if (comm.find("redis") == std::string::npos && comm.find("valkey") == std::string::npos) return 0;
  const std::string cgroup = ReadFirstLine("/proc/" + std::to_string(server_pid) + "/cgroup");
  if (cgroup.rfind("0::", 0) != 0) return 0;  // cgroup v2 only; else not visible
  const std::string limit = ReadFirstLine("/sys/fs/cgroup" + cgroup.substr(3) + "/memory.max");
  return limit.empty() || limit == "max" ? 0 : ToU64(limit);
}

}  // namespace ra
