#include "agent/redis_swap.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include "agent/credentials.h"
#include "agent/dump_input.h"
#include "agent/error.h"
#include "agent/log.h"
#include "agent/redis_client.h"
#include "agent/report.h"
#include "protocols/rdb_reader.h"

namespace ra {
namespace fs = std::filesystem;
namespace {

constexpr const char* kJournal = ".restore-agent-redis-swap.journal";
constexpr const char* kExpiries = ".restore-agent-redis-swap.expiries";
constexpr const char* kStagedPrefix = ".restore-agent-staged-";

using Json = nlohmann::json;

std::string Errno(const std::string& what, const std::string& path) {
  return what + " '" + path + "': " + std::strerror(errno);
}

// Tests kill the agent after a chosen journal step (RA_FAULT_INJECT=after:STEP), as a crash
// or a kill -9 of the pod would.
void FaultPoint(const std::string& step) {
  const char* spec = std::getenv("RA_FAULT_INJECT");
  if (spec != nullptr && std::string(spec) == "after:" + step) ::_exit(137);
}

void FsyncPath(const std::string& path, bool directory) {
  const int fd = ::open(path.c_str(), (directory ? O_DIRECTORY : 0) | O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw Error(ErrorKind::kIo, Errno("cannot open for fsync", path));
  if (::fsync(fd) != 0) {
    const std::string msg = Errno("cannot fsync", path);
    ::close(fd);
    throw Error(ErrorKind::kIo, msg);
  }
  ::close(fd);
}

// The journal: one JSON object a line, fsynced, beside the data.
class Journal {
 public:
  explicit Journal(std::string dir) : path_(std::move(dir) + "/" + kJournal) {}
  std::vector<Json> Read() const {
    std::vector<Json> out;
    std::ifstream in(path_);
    std::string line;
    while (std::getline(in, line)) {
      if (line.empty()) continue;
      try {
        out.push_back(Json::parse(line));
      } catch (const Json::exception&) {
        break;  // a line cut by a crash: the step it describes did not complete
      }
    }
    return out;
  }
  void Append(Json entry) {
    char when[32];
    const std::time_t now = std::time(nullptr);
    std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
    entry["time"] = when;
    const std::string line = entry.dump() + "\n";
    const int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    if (fd < 0) throw Error(ErrorKind::kIo, Errno("cannot write journal", path_));
    const bool ok = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) &&
                    ::fsync(fd) == 0;
    ::close(fd);
    if (!ok) throw Error(ErrorKind::kIo, Errno("cannot write journal", path_));
    FaultPoint(entry.value("step", ""));
  }
  // A finished journal is kept under a dated name; a new swap starts a new one.
  void Archive() {
    if (!fs::exists(path_)) return;
    std::string target = path_ + "." + std::to_string(std::time(nullptr));
    for (int n = 1; fs::exists(target); ++n) target = path_ + "." + std::to_string(n);
    fs::rename(path_, target);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::string LastStep(const std::vector<Json>& j) {
  return j.empty() ? "" : j.back().value("step", "");
}

bool Terminal(const std::string& step) {
  return step.empty() || step == "finished" || step == "rolled-back" || step == "undone";
}

// A free name next to `path`: path + suffix, then suffix.1, .2, ...
std::string FreeName(const std::string& path, const std::string& suffix) {
  std::string candidate = path + suffix;
  for (int n = 1; fs::exists(fs::symlink_status(candidate)); ++n) {
    candidate = path + suffix + "." + std::to_string(n);
  }
  return candidate;
}

void Rename(const std::string& from, const std::string& to) {
  if (::rename(from.c_str(), to.c_str()) != 0) {
    throw Error(ErrorKind::kIo,
                "cannot move '" + from + "' to '" + to + "': " + std::strerror(errno));
  }
}

// What the backup holds, read end to end (this is also its validation).
struct BackupFacts {
  int rdb_version = 0;
  std::map<uint64_t, uint64_t> persistent;             // keys without expiry, per db
  std::vector<std::pair<uint64_t, int64_t>> expiries;  // (db, expire ms)
  uint64_t keys = 0;
};

BackupFacts ValidateBackup(const std::string& path) {
  StreamCounters counters;
  DumpInput input(path, &counters);
  if (input.kind() != DumpKind::kRdb) {
    throw Error(ErrorKind::kBadFormat, "'" + input.name() + "' is not an RDB file (it is " +
                                           DumpKindName(input.kind()) + ")");
  }
  DumpRdbInput rdb(input);
  RdbReader reader(&rdb);
  BackupFacts facts;
  RdbItem item;
  bool end = false;
  while (reader.Next(&item)) {
    if (item.kind == RdbItem::Kind::kKey) {
      ++facts.keys;
      if (item.expire_ms < 0) {
        ++facts.persistent[item.db];
      } else {
        facts.expiries.emplace_back(item.db, item.expire_ms);
      }
    }
    if (item.kind == RdbItem::Kind::kEnd) end = true;
  }
  if (reader.error().code != RdbErrc::kNone || !end) {
    throw Error(
        reader.error().code == RdbErrc::kUnsupported ? ErrorKind::kBadFormat : ErrorKind::kCorrupt,
        "backup '" + input.name() + "' is not a sound RDB file (" +
            RdbErrcName(reader.error().code) + " at byte " + std::to_string(reader.error().offset) +
            ": " + reader.error().message + "); nothing was changed");
  }
  facts.rdb_version = reader.version();
  std::sort(facts.expiries.begin(), facts.expiries.end());
  return facts;
}

// Copies the decompressed backup to `target` (mode and owner like `like`), fsynced.
void StageFile(const std::string& backup, const std::string& target, const std::string& like) {
  StreamCounters counters;
  DumpInput input(backup, &counters);
  struct stat ref {};
  const bool have_ref = ::stat(like.c_str(), &ref) == 0;
  const mode_t mode = have_ref && S_ISREG(ref.st_mode) ? (ref.st_mode & 0777) : 0640;
  const int fd = ::open(target.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) throw Error(ErrorKind::kIo, Errno("cannot create", target));
  try {
    for (;;) {
      const std::string_view chunk = input.NextChunk();
      if (chunk.empty()) break;
      size_t done = 0;
      while (done < chunk.size()) {
        const ssize_t n = ::write(fd, chunk.data() + done, chunk.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0)
          throw Error(ErrorKind::kIo, Errno("cannot write the backup copy", target) +
                                          " (nothing was moved; the old data is in place)");
        done += static_cast<size_t>(n);
      }
    }
    if (::fsync(fd) != 0) throw Error(ErrorKind::kIo, Errno("cannot fsync", target));
    if (have_ref) {
      // OpenShift runs Redis with an arbitrary uid: the file must belong to it, as the old did.
      if (::fchown(fd, ref.st_uid, ref.st_gid) != 0 && errno != EPERM) {
        throw Error(ErrorKind::kIo, Errno("cannot chown", target));
      }
      ::fchmod(fd, mode);
    }
    ::close(fd);
  } catch (...) {
    ::close(fd);
    ::unlink(target.c_str());
    throw;
  }
}

// Writes a Redis 7 append-only directory whose manifest names the backup as its base.
void StageAofDir(const std::string& backup, const std::string& dir, const std::string& aof_name,
                 const std::string& like) {
  fs::create_directory(dir);
  struct stat ref {};
  if (::stat(like.c_str(), &ref) == 0) {
    if (::chown(dir.c_str(), ref.st_uid, ref.st_gid) != 0 && errno != EPERM) {
      throw Error(ErrorKind::kIo, Errno("cannot chown", dir));
    }
  }
  const std::string base = aof_name + ".1.base.rdb";
  StageFile(backup, dir + "/" + base, like);
  const std::string manifest = dir + "/" + aof_name + ".manifest";
  {
    std::ofstream out(manifest, std::ios::trunc);
    out << "file " << base << " seq 1 type b\n";
    if (!out) throw Error(ErrorKind::kIo, "cannot write '" + manifest + "'");
  }
  FsyncPath(manifest, false);
  if (::stat(like.c_str(), &ref) == 0 && ::chown(manifest.c_str(), ref.st_uid, ref.st_gid) != 0 &&
      errno != EPERM) {
    throw Error(ErrorKind::kIo, Errno("cannot chown", manifest));
  }
  FsyncPath(dir, true);
}

void WriteExpiries(const std::string& path, const BackupFacts& f) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  for (const auto& [db, ms] : f.expiries) {
    out.write(reinterpret_cast<const char*>(&db), sizeof db);
    out.write(reinterpret_cast<const char*>(&ms), sizeof ms);
  }
  if (!out) throw Error(ErrorKind::kIo, "cannot write '" + path + "'");
}

std::vector<std::pair<uint64_t, int64_t>> ReadExpiries(const std::string& path) {
  std::vector<std::pair<uint64_t, int64_t>> out;
  std::ifstream in(path, std::ios::binary);
  uint64_t db;
  int64_t ms;
  while (in.read(reinterpret_cast<char*>(&db), sizeof db) &&
         in.read(reinterpret_cast<char*>(&ms), sizeof ms)) {
    out.emplace_back(db, ms);
  }
  return out;
}

// Carries out the planned moves and installs that are still to do (idempotent: a crash at any
// point leaves a state this function can continue from).
void RollForward(Journal& journal, const Json& begin) {
  const std::string dir = begin["dir"];
  bool any_installed = false;
  for (const auto& inst : begin["installs"]) {
    if (!fs::exists(fs::symlink_status(dir + "/" + inst["staged"].get<std::string>())))
      any_installed = true;
  }
  if (!any_installed) {
    for (const auto& mv : begin["moves"]) {
      const std::string from = dir + "/" + mv["from"].get<std::string>();
      const std::string to = dir + "/" + mv["to"].get<std::string>();
      if (fs::exists(fs::symlink_status(from)) && !fs::exists(fs::symlink_status(to))) {
        Rename(from, to);
        journal.Append({{"step", "moved"}, {"from", mv["from"]}, {"to", mv["to"]}});
      }
    }
  }
  for (const auto& inst : begin["installs"]) {
    const std::string staged = dir + "/" + inst["staged"].get<std::string>();
    const std::string to = dir + "/" + inst["to"].get<std::string>();
    if (fs::exists(fs::symlink_status(staged))) {
      if (fs::exists(fs::symlink_status(to))) {
        throw Error(ErrorKind::kIo, "cannot install the backup: '" + to + "' is in the way");
      }
      Rename(staged, to);
      journal.Append({{"step", "installed"}, {"to", inst["to"]}});
    }
  }
  FsyncPath(dir, true);
  journal.Append({{"step", "swapped"}});
}

void SetRuntimeConfig(RedisConnection& conn, const std::string& save, const std::string& aof) {
  conn.Must({"CONFIG", "SET", "save", save});
  conn.Must({"CONFIG", "SET", "appendonly", aof});
}

std::string JoinSteps(const std::vector<Json>& j) {
  std::string s;
  for (const auto& e : j) s += (s.empty() ? "" : ", ") + e.value("step", "?");
  return s;
}

}  // namespace

void RewriteAofAndWait(RedisConnection& conn, double timeout_seconds) {
  auto p = conn.Info("persistence");
  if (p["aof_enabled"] == "1") {
    conn.Must({"BGREWRITEAOF"});
  } else {
    conn.Must({"CONFIG", "SET", "appendonly", "yes"});  // starts a rewrite
  }
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::milliseconds(static_cast<int64_t>(timeout_seconds * 1000));
  auto next_log = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  for (;;) {
    p = conn.Info("persistence");
    if (p["aof_rewrite_in_progress"] == "0" && p["aof_rewrite_scheduled"] == "0") break;
    if (std::chrono::steady_clock::now() > deadline) {
      throw Error(ErrorKind::kServer, "the AOF rewrite did not end within " +
                                          std::to_string(static_cast<int>(timeout_seconds)) + " s");
    }
    if (std::chrono::steady_clock::now() > next_log) {
      log::Info("waiting for the AOF rewrite (aof_rewrite_in_progress " +
                p["aof_rewrite_in_progress"] + ", scheduled " + p["aof_rewrite_scheduled"] + ")");
      next_log += std::chrono::seconds(5);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  if (p["aof_last_bgrewrite_status"] != "ok") {
    throw Error(ErrorKind::kServer, "the AOF rewrite failed: aof_last_bgrewrite_status " +
                                        p["aof_last_bgrewrite_status"]);
  }
}

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

int RunRedisSwap(const RedisSwapOptions& opt) {
  const auto started = std::chrono::steady_clock::now();
  const BackupFacts facts = ValidateBackup(opt.backup);
  log::Info("checked '" + opt.backup + "': rdb version " + std::to_string(facts.rdb_version) +
            ", " + std::to_string(facts.keys) + " keys, checksum and structure sound");

  std::string dir, dbfilename = "dump.rdb", appendonly = "no", appendfilename = "appendonly.aof",
                   appenddirname, save, redis_version;
  std::optional<RedisConnection> conn;
  bool dir_layout;
  if (opt.offline) {
    if (opt.data_dir.empty()) throw Error(ErrorKind::kUsage, "--offline needs --data-dir");
    dir = fs::absolute(opt.data_dir).lexically_normal().string();
    if (!fs::is_directory(dir))
      throw Error(ErrorKind::kUsage, "data dir '" + dir + "' is not a directory");
    const bool has_dir = fs::exists(dir + "/appendonlydir");
    const bool has_file = fs::exists(dir + "/appendonly.aof");
    dir_layout = opt.aof_layout == "dir" || (opt.aof_layout == "auto" && (has_dir || !has_file));
    appenddirname = dir_layout ? "appendonlydir" : "";
  } else {
    conn = ConnectRedis(opt.server);
    redis_version = conn->Info("server")["redis_version"];
    const int max_version = MaxRdbVersionFor(redis_version);
    if (facts.rdb_version > max_version) {
      throw Error(ErrorKind::kBadFormat, "the backup is rdb version " +
                                             std::to_string(facts.rdb_version) + " but redis " +
                                             redis_version + " loads at most version " +
                                             std::to_string(max_version) + "; nothing was changed");
    }
    dir = conn->ConfigGet("dir");
    dbfilename = conn->ConfigGet("dbfilename");
    appendonly = conn->ConfigGet("appendonly");
    appendfilename = conn->ConfigGet("appendfilename");
    appenddirname = conn->ConfigGet("appenddirname");  // "" before Redis 7
    save = conn->ConfigGet("save");
    dir_layout = !appenddirname.empty();
  }
  Journal journal(dir);
  const std::vector<Json> earlier = journal.Read();
  if (!Terminal(LastStep(earlier))) {
    throw Error(ErrorKind::kUsage, "an earlier swap in '" + dir +
                                       "' did not end (journal: " + JoinSteps(earlier) +
                                       "): run 'restore-redis recover' or 'rollback' first");
  }
  journal.Archive();

  // The plan: what moves aside, what gets installed.
  const bool aof_base = opt.as_aof_base || opt.offline;
  Json moves = Json::array(), installs = Json::array();
  for (const std::string& name : {dbfilename, appendfilename, appenddirname}) {
    if (name.empty() || !fs::exists(fs::symlink_status(dir + "/" + name))) continue;
    moves.push_back(
        {{"from", name}, {"to", fs::path(FreeName(dir + "/" + name, "-old")).filename().string()}});
  }
  installs.push_back({{"staged", std::string(kStagedPrefix) + dbfilename}, {"to", dbfilename}});
  if (aof_base) {
    const std::string aof_target = dir_layout ? appenddirname : appendfilename;
    installs.push_back({{"staged", std::string(kStagedPrefix) + aof_target}, {"to", aof_target}});
  }
  Json counts = Json::object();
  for (const auto& [db, n] : facts.persistent) counts[std::to_string(db)] = n;
  Json begin = {{"step", "begin"},
                {"backup", opt.backup},
                {"dir", dir},
                {"dbfilename", dbfilename},
                {"appendonly", appendonly},
                {"appendfilename", appendfilename},
                {"appenddirname", appenddirname},
                {"save", save},
                {"redis_version", redis_version},
                {"rdb_version", facts.rdb_version},
                {"variant", opt.offline ? "offline"
                            : aof_base  ? "aof-base"
                                        : "dump"},
                {"keys", facts.keys},
                {"persistent_keys", counts},
                {"moves", moves},
                {"installs", installs}};
  journal.Append(begin);

  // Stage everything first: a full disk stops the swap here, with nothing moved — and with
  // nothing left behind either: the partial copies go and the journal says "undone".
  try {
    const std::string like = fs::exists(dir + "/" + dbfilename) ? dir + "/" + dbfilename : dir;
    StageFile(opt.backup, dir + "/" + kStagedPrefix + dbfilename, like);
    if (aof_base) {
      const std::string staged = dir + "/" + installs[1]["staged"].get<std::string>();
      if (dir_layout) {
        StageAofDir(opt.backup, staged, appendfilename, like);
      } else {
        StageFile(opt.backup, staged, like);  // Redis < 7 loads an RDB-preamble appendonly.aof
      }
    }
    WriteExpiries(dir + "/" + kExpiries, facts);
    FsyncPath(dir, true);
  } catch (const Error& e) {
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir, ec))
      if (entry.path().filename().string().rfind(kStagedPrefix, 0) == 0)
        fs::remove_all(entry.path(), ec);
    fs::remove(dir + "/" + kExpiries, ec);
    try {
      journal.Append({{"step", "undone"}, {"reason", e.what()}});
    } catch (const Error&) {
      // A full disk may refuse even this line: 'restore-redis recover' undoes it later.
    }
    throw;
  }
  journal.Append({{"step", "staged"}});

  if (conn) {
    // No snapshot or AOF write may touch the files while they move, nor at shutdown.
    SetRuntimeConfig(*conn, "", "no");
    journal.Append({{"step", "config-set"}});
  }
  RollForward(journal, begin);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::string moved;
  for (const auto& mv : moves)
    moved += " " + mv["from"].get<std::string>() + " -> " + mv["to"].get<std::string>() + ";";
  log::Info(
      "swapped in '" + dir + "' in " + std::to_string(seconds).substr(0, 5) + " s:" + moved +
          " backup installed as " + dbfilename + (aof_base ? " and as the append-only base" : "") +
          ". Next: restart Redis (roll out the pod), then run 'restore-agent restore-redis finish'",
      {{"dir", dir}, {"moves", moves}});
  if (!opt.common.report_path.empty()) {
    WriteReport(opt.common.report_path, {{"command", "restore-redis swap"},
                                         {"status", "ok"},
                                         {"dir", dir},
                                         {"moves", moves},
                                         {"keys", facts.keys},
                                         {"seconds", seconds}});
  }
  return 0;
}

namespace {

// The data dir: --data-dir, else the running server's.
std::string DataDir(const RedisSwapOptions& opt, std::optional<RedisConnection>* conn) {
  if (!opt.data_dir.empty()) return fs::absolute(opt.data_dir).lexically_normal().string();
  *conn = ConnectRedis(opt.server);
  return (*conn)->ConfigGet("dir");
}

const Json* FindBegin(const std::vector<Json>& j) {
  for (auto it = j.rbegin(); it != j.rend(); ++it) {
    if (it->value("step", "") == "begin") return &*it;
  }
  return nullptr;
}

}  // namespace

int RunRedisFinish(const RedisSwapOptions& opt) {
  std::optional<RedisConnection> conn;
  conn = ConnectRedis(opt.server);  // waits while Redis loads
  const std::string dir = opt.data_dir.empty() ? conn->ConfigGet("dir") : opt.data_dir;
  Journal journal(dir);
  const std::vector<Json> j = journal.Read();
  const std::string last = LastStep(j);
  if (last == "finished") {
    log::Info("the swap in '" + dir + "' is finished already");
    return 0;
  }
  if (last != "swapped") {
    throw Error(ErrorKind::kUsage, "no completed swap to finish in '" + dir + "' (journal: " +
                                       (j.empty() ? std::string("none") : JoinSteps(j)) + ")");
  }
  const Json& begin = *FindBegin(j);

  // Keys: persistent ones must all be there; of those with an expiry, the ones alive at load
  // time at most and the ones alive now at least (Redis drops expired keys when it loads).
  auto info = conn->Info("server");
  const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  const int64_t loaded_ms = now_ms - std::stoll(info["uptime_in_seconds"]) * 1000 - 1000;
  const auto expiries = ReadExpiries(dir + "/" + kExpiries);
  std::map<uint64_t, std::pair<uint64_t, uint64_t>> expected;  // db -> (min, max)
  for (const auto& [db, n] : begin["persistent_keys"].items()) {
    expected[std::stoull(db)] = {n.get<uint64_t>(), n.get<uint64_t>()};
  }
  for (const auto& [db, ms] : expiries) {
    auto& e = expected[db];
    if (ms > now_ms) ++e.first;
    if (ms > loaded_ms) ++e.second;
  }
  const auto keyspace = conn->Info("keyspace");
  std::string mismatch;
  Json loaded = Json::object();
  for (const auto& [db, range] : expected) {
    uint64_t keys = 0;
    auto it = keyspace.find("db" + std::to_string(db));
    if (it != keyspace.end()) keys = std::stoull(it->second.substr(5));  // "keys=N,expires=..."
    loaded[std::to_string(db)] = keys;
    if (keys < range.first || keys > range.second) {
      mismatch += " db" + std::to_string(db) + " holds " + std::to_string(keys) +
                  " keys, the backup " + std::to_string(range.first) +
                  (range.first == range.second ? "" : " to " + std::to_string(range.second)) + ";";
    }
  }
  for (const auto& [name, value] : keyspace) {
    if (name.rfind("db", 0) == 0 && !expected.count(std::stoull(name.substr(2)))) {
      mismatch += " " + name + " holds keys the backup does not have;";
    }
  }
  if (!mismatch.empty()) {
    throw Error(ErrorKind::kServer,
                "redis did not load the backup:" + mismatch +
                    " (did it start with appendonly yes and an old or empty append-only file? "
                    "'restore-redis rollback' puts the old data back)");
  }
  log::Info("redis loaded the backup: key counts match per database", {{"keys", loaded}});

  // Persistence as it was: the AOF rewritten from the loaded data, then save.
  const std::string appendonly = begin.value("appendonly", "no");
  if (appendonly == "yes") {
    RewriteAofAndWait(*conn, opt.rewrite_timeout_seconds);
    log::Info("append-only file rewritten from the restored data");
  }
  conn->Must({"CONFIG", "SET", "save", begin.value("save", "")});
  conn->Must({"CONFIG", "SET", "appendonly", appendonly});
  journal.Append({{"step", "finished"}});
  log::Info("finished: save '" + begin.value("save", "") + "' and appendonly " + appendonly +
            " are back as they were");
  return 0;
}

int RunRedisRecover(const RedisSwapOptions& opt) {
  std::optional<RedisConnection> conn;
  std::string dir;
  try {
    dir = DataDir(opt, &conn);
  } catch (const Error&) {
    throw Error(ErrorKind::kUsage, "redis is not reachable: give --data-dir to recover offline");
  }
  Journal journal(dir);
  const std::vector<Json> j = journal.Read();
  const std::string last = LastStep(j);
  if (Terminal(last)) {
    log::Info("nothing to recover in '" + dir + "' (journal: " + (j.empty() ? "none" : last) + ")");
    return 0;
  }
  if (last == "swapped") {
    log::Info("the swap in '" + dir +
              "' is complete: restart Redis, then run 'restore-redis finish'");
    return 0;
  }
  const Json* begin = FindBegin(j);
  bool staged = false;
  for (const auto& e : j) staged = staged || e.value("step", "") == "staged";
  if (begin != nullptr && staged) {
    log::Info("the backup was staged before the interruption: completing the swap");
    if (conn) SetRuntimeConfig(*conn, "", "no");
    RollForward(journal, *begin);
    log::Info("swap completed: restart Redis, then run 'restore-redis finish'");
    return 0;
  }
  // Not staged: nothing was moved. Remove partial copies; the old data is untouched.
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().filename().string().rfind(kStagedPrefix, 0) == 0) fs::remove_all(entry.path());
  }
  if (conn && begin != nullptr)
    SetRuntimeConfig(*conn, begin->value("save", ""), begin->value("appendonly", "no"));
  journal.Append({{"step", "undone"}});
  log::Info("the interrupted swap was undone: the old data is in place, untouched");
  return 0;
}

int RunRedisRollback(const RedisSwapOptions& opt) {
  std::optional<RedisConnection> conn;
  std::string dir;
  try {
    dir = DataDir(opt, &conn);
  } catch (const Error&) {
    throw Error(ErrorKind::kUsage, "redis is not reachable: give --data-dir to roll back offline");
  }
  Journal journal(dir);
  const std::vector<Json> j = journal.Read();
  const Json* begin = FindBegin(j);
  if (begin == nullptr || LastStep(j) == "rolled-back" || LastStep(j) == "undone") {
    throw Error(ErrorKind::kUsage, "no swap to roll back in '" + dir + "'");
  }
  if (conn) SetRuntimeConfig(*conn, "", "no");  // no writes while the files move back
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().filename().string().rfind(kStagedPrefix, 0) == 0) fs::remove_all(entry.path());
  }
  const Json& moves = (*begin)["moves"];
  // What stands at the original names now is the backup (or data rewritten from it).
  for (const auto& inst : (*begin)["installs"]) {
    const std::string at = dir + "/" + inst["to"].get<std::string>();
    if (fs::exists(fs::symlink_status(at))) {
      const std::string rejected = FreeName(at, "-rejected");
      Rename(at, rejected);
      journal.Append({{"step", "set-aside"},
                      {"from", inst["to"]},
                      {"to", fs::path(rejected).filename().string()}});
    }
  }
  for (auto it = moves.rbegin(); it != moves.rend(); ++it) {
    const std::string from = dir + "/" + (*it)["from"].get<std::string>();
    const std::string to = dir + "/" + (*it)["to"].get<std::string>();
    if (!fs::exists(fs::symlink_status(to))) continue;  // never moved
    if (fs::exists(fs::symlink_status(from))) {
      const std::string rejected = FreeName(from, "-rejected");
      Rename(from, rejected);
    }
    Rename(to, from);
    journal.Append({{"step", "restored"}, {"name", (*it)["from"]}});
  }
  FsyncPath(dir, true);
  journal.Append({{"step", "rolled-back"}});
  log::Info(
      "rolled back in '" + dir +
      "': the old data is back under its names (the backup is kept as "
      "*-rejected). Restart Redis to load it; save and appendonly come from its configuration");
  return 0;
}

}  // namespace ra
