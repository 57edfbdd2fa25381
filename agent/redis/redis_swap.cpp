#include "agent/redis/redis_swap.h"

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

#include "agent/core/dump_input.h"
#include "agent/core/error.h"
#include "agent/core/journal.h"
#include "agent/core/log.h"
#include "agent/core/rdb_scan.h"
#include "agent/core/report.h"
#include "agent/redis/redis_admin.h"
#include "agent/redis/redis_client.h"
#include "agent/redis/redis_sync.h"
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

// The swap's journal beside the data; after each step a test may kill the agent there.
class Journal {
 public:
  explicit Journal(const std::string& dir) : file_(dir + "/" + kJournal, 0640) {}
  std::vector<Json> Read() const { return file_.Read(); }
  void Append(Json entry) {
    const std::string step = entry.value("step", "");
    file_.Append(std::move(entry));
    FaultPoint(step);
  }
  void Archive() { file_.Archive(); }

 private:
  JsonJournal file_;
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

// The backup read end to end (its validation) and what it holds.
RdbCensus ValidateBackup(const std::string& path) {
  RdbScanOptions scan;
  scan.keep_expiries = true;
  RdbCensus census = ScanRdb(path, scan);
  RequireSoundRdb(census, "changed");
  WarnAboutUnloaded(census);
  return census;
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

void WriteExpiries(const std::string& path, const RdbCensus& c) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  for (const auto& [db, ms] : c.expiries) {
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

// Where the server keeps its data and how, from the running server or (offline) the dir.
struct Layout {
  std::string dir, dbfilename = "dump.rdb", appendonly = "no", appendfilename = "appendonly.aof",
                   appenddirname, save, redis_version;
  bool dir_layout = false;  // Redis 7's appendonlydir
};

Layout OfflineLayout(const RedisSwapOptions& opt) {
  if (opt.data_dir.empty()) throw Error(ErrorKind::kUsage, "--offline needs --data-dir");
  Layout l;
  l.dir = fs::absolute(opt.data_dir).lexically_normal().string();
  if (!fs::is_directory(l.dir))
    throw Error(ErrorKind::kUsage, "data dir '" + l.dir + "' is not a directory");
  const bool has_dir = fs::exists(l.dir + "/appendonlydir");
  const bool has_file = fs::exists(l.dir + "/appendonly.aof");
  l.dir_layout = opt.aof_layout == "dir" || (opt.aof_layout == "auto" && (has_dir || !has_file));
  l.appenddirname = l.dir_layout ? "appendonlydir" : "";
  return l;
}

Layout ServerLayout(RedisConnection& conn, int rdb_version) {
  Layout l;
  l.redis_version = conn.Info("server")["redis_version"];
  const int max_version = MaxRdbVersionFor(l.redis_version);
  if (rdb_version > max_version) {
    throw Error(ErrorKind::kBadFormat, "the backup is rdb version " + std::to_string(rdb_version) +
                                           " but redis " + l.redis_version +
                                           " loads at most version " + std::to_string(max_version) +
                                           "; nothing was changed");
  }
  l.dir = conn.ConfigGet("dir");
  l.dbfilename = conn.ConfigGet("dbfilename");
  l.appendonly = conn.ConfigGet("appendonly");
  l.appendfilename = conn.ConfigGet("appendfilename");
  l.appenddirname = conn.ConfigGet("appenddirname");  // "" before Redis 7
  l.save = conn.ConfigGet("save");
  l.dir_layout = !l.appenddirname.empty();
  return l;
}

// The journal's "begin" record: what moves aside, what gets installed, what to put back.
Json PlanSwap(const RedisSwapOptions& opt, const Layout& l, const RdbCensus& census) {
  const bool aof_base = opt.as_aof_base || opt.offline;
  Json moves = Json::array(), installs = Json::array();
  for (const std::string& name : {l.dbfilename, l.appendfilename, l.appenddirname}) {
    if (name.empty() || !fs::exists(fs::symlink_status(l.dir + "/" + name))) continue;
    moves.push_back({{"from", name},
                     {"to", fs::path(FreeName(l.dir + "/" + name, "-old")).filename().string()}});
  }
  installs.push_back({{"staged", std::string(kStagedPrefix) + l.dbfilename}, {"to", l.dbfilename}});
  if (aof_base) {
    const std::string aof_target = l.dir_layout ? l.appenddirname : l.appendfilename;
    installs.push_back({{"staged", std::string(kStagedPrefix) + aof_target}, {"to", aof_target}});
  }
  Json counts = Json::object();
  for (const auto& [db, d] : census.dbs) counts[std::to_string(db)] = d.persistent;
  return {{"step", "begin"},
          {"backup", opt.backup},
          {"dir", l.dir},
          {"dbfilename", l.dbfilename},
          {"appendonly", l.appendonly},
          {"appendfilename", l.appendfilename},
          {"appenddirname", l.appenddirname},
          {"save", l.save},
          {"redis_version", l.redis_version},
          {"rdb_version", census.rdb_version},
          {"variant", opt.offline ? "offline"
                      : aof_base  ? "aof-base"
                                  : "dump"},
          {"keys", census.keys},
          {"persistent_keys", counts},
          {"moves", moves},
          {"installs", installs}};
}

void RemoveStaged(const std::string& dir) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec))
    if (entry.path().filename().string().rfind(kStagedPrefix, 0) == 0)
      fs::remove_all(entry.path(), ec);
}

// Stages everything first: a full disk stops the swap here, with nothing moved — and with
// nothing left behind either: the partial copies go and the journal says "undone".
void StageAll(const RedisSwapOptions& opt, const Layout& l, const Json& begin,
              const RdbCensus& census, Journal& journal) {
  try {
    const std::string like =
        fs::exists(l.dir + "/" + l.dbfilename) ? l.dir + "/" + l.dbfilename : l.dir;
    StageFile(opt.backup, l.dir + "/" + kStagedPrefix + l.dbfilename, like);
    if (begin["installs"].size() > 1) {
      const std::string staged = l.dir + "/" + begin["installs"][1]["staged"].get<std::string>();
      if (l.dir_layout) {
        StageAofDir(opt.backup, staged, l.appendfilename, like);
      } else {
        StageFile(opt.backup, staged, like);  // Redis < 7 loads an RDB-preamble appendonly.aof
      }
    }
    WriteExpiries(l.dir + "/" + kExpiries, census);
    FsyncPath(l.dir, true);
  } catch (const Error& e) {
    RemoveStaged(l.dir);
    std::error_code ec;
    fs::remove(l.dir + "/" + kExpiries, ec);
    try {
      journal.Append({{"step", "undone"}, {"reason", e.what()}});
    } catch (const Error&) {
      // A full disk may refuse even this line: 'restore-redis recover' undoes it later.
    }
    throw;
  }
  journal.Append({{"step", "staged"}});
}

void RequireNoSwapUnderway(const std::string& dir, const std::vector<Json>& earlier) {
  if (Terminal(LastStep(earlier))) return;
  throw Error(ErrorKind::kUsage, "an earlier swap in '" + dir +
                                     "' did not end (journal: " + JoinSteps(earlier) +
                                     "): run 'restore-redis recover' or 'rollback' first");
}

void ReportSwap(const RedisSwapOptions& opt, const Layout& l, const Json& begin, double seconds,
                uint64_t keys) {
  std::string moved;
  for (const auto& mv : begin["moves"])
    moved += " " + mv["from"].get<std::string>() + " -> " + mv["to"].get<std::string>() + ";";
  const bool aof_base = begin["installs"].size() > 1;
  log::Info("swapped in '" + l.dir + "' in " + std::to_string(seconds).substr(0, 5) +
                " s:" + moved + " backup installed as " + l.dbfilename +
                (aof_base ? " and as the append-only base" : "") +
                ". Next: restart Redis (roll out the pod), then run 'restore-agent restore-redis "
                "finish'",
            {{"dir", l.dir}, {"moves", begin["moves"]}});
  if (opt.common.report_path.empty()) return;
  WriteReport(opt.common.report_path, {{"command", "restore-redis swap"},
                                       {"status", "ok"},
                                       {"dir", l.dir},
                                       {"moves", begin["moves"]},
                                       {"keys", keys},
                                       {"seconds", seconds}});
}

}  // namespace

int RunRedisSwap(const RedisSwapOptions& opt) {
  const auto started = std::chrono::steady_clock::now();
  const RdbCensus census = ValidateBackup(opt.backup);
  log::Info("checked '" + opt.backup + "': rdb version " + std::to_string(census.rdb_version) +
            ", " + std::to_string(census.keys) + " keys, checksum and structure sound");
  std::optional<RedisConnection> conn;
  if (!opt.offline) {
    conn = ConnectRedis(opt.server);
    RecoverAbandonedSync(*conn, DefaultSyncJournal(opt.server), opt.rewrite_timeout_seconds);
  }
  const Layout l = opt.offline ? OfflineLayout(opt) : ServerLayout(*conn, census.rdb_version);
  Journal journal(l.dir);
  RequireNoSwapUnderway(l.dir, journal.Read());
  journal.Archive();
  const Json begin = PlanSwap(opt, l, census);
  journal.Append(begin);
  StageAll(opt, l, begin, census, journal);
  if (conn) {
    // No snapshot or AOF write may touch the files while they move, nor at shutdown.
    SetRuntimeConfig(*conn, "", "no");
    journal.Append({{"step", "config-set"}});
  }
  RollForward(journal, begin);
  ReportSwap(opt, l, begin,
             std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count(),
             census.keys);
  return 0;
}

namespace {

// The data dir: --data-dir, else the running server's (then *conn is connected to it).
std::string DataDir(const RedisSwapOptions& opt, std::optional<RedisConnection>* conn,
                    const char* action) {
  if (!opt.data_dir.empty()) return fs::absolute(opt.data_dir).lexically_normal().string();
  try {
    *conn = ConnectRedis(opt.server);
    return (*conn)->ConfigGet("dir");
  } catch (const Error&) {
    throw Error(ErrorKind::kUsage,
                std::string("redis is not reachable: give --data-dir to ") + action + " offline");
  }
}

const Json* FindBegin(const std::vector<Json>& j) {
  for (auto it = j.rbegin(); it != j.rend(); ++it) {
    if (it->value("step", "") == "begin") return &*it;
  }
  return nullptr;
}

// After the restart: the loaded key counts per database against the backup's (keys that
// expired meanwhile accounted for: Redis drops expired keys when it loads).
void CheckLoadedKeys(RedisConnection& conn, const std::string& dir, const Json& begin) {
  const int64_t now_ms = UnixMillis();
  const int64_t loaded_ms =
      now_ms - std::stoll(conn.Info("server")["uptime_in_seconds"]) * 1000 - 1000;
  std::map<uint64_t, uint64_t> persistent;
  for (const auto& [db, n] : begin["persistent_keys"].items())
    persistent[std::stoull(db)] = n.get<uint64_t>();
  const auto expected =
      ExpectedKeys(persistent, ReadExpiries(dir + "/" + kExpiries), loaded_ms, now_ms);
  const auto held = KeysPerDb(conn);
  const std::string mismatch = DescribeKeyMismatch(expected, held);
  if (!mismatch.empty()) {
    throw Error(ErrorKind::kServer,
                "redis did not load the backup:" + mismatch +
                    " (did it start with appendonly yes and an old or empty append-only file? "
                    "'restore-redis rollback' puts the old data back)");
  }
  Json loaded = Json::object();
  for (const auto& [db, n] : held) loaded[std::to_string(db)] = n;
  log::Info("redis loaded the backup: key counts match per database", {{"keys", loaded}});
}

}  // namespace

int RunRedisFinish(const RedisSwapOptions& opt) {
  RedisConnection conn = ConnectRedis(opt.server);  // waits while Redis loads
  RecoverAbandonedSync(conn, DefaultSyncJournal(opt.server), opt.rewrite_timeout_seconds);
  const std::string dir = opt.data_dir.empty() ? conn.ConfigGet("dir") : opt.data_dir;
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
  CheckLoadedKeys(conn, dir, begin);
  // Persistence as it was: the AOF rewritten from the loaded data, then save.
  const std::string appendonly = begin.value("appendonly", "no");
  if (appendonly == "yes") {
    RewriteAofAndWait(conn, opt.rewrite_timeout_seconds);
    log::Info("append-only file rewritten from the restored data");
  }
  SetRuntimeConfig(conn, begin.value("save", ""), appendonly);
  journal.Append({{"step", "finished"}});
  log::Info("finished: save '" + begin.value("save", "") + "' and appendonly " + appendonly +
            " are back as they were");
  return 0;
}

namespace {

// A swap's journal as recover and rollback find it: the data dir (and the server, when it
// runs), the records, the "begin" record (null when none).
struct SwapRecord {
  std::optional<RedisConnection> conn;
  std::string dir;
  std::optional<Journal> journal;
  std::vector<Json> entries;
  const Json* begin = nullptr;
};

void OpenSwap(const RedisSwapOptions& opt, const char* action, SwapRecord* r) {
  r->dir = DataDir(opt, &r->conn, action);
  r->journal.emplace(r->dir);
  r->entries = r->journal->Read();
  r->begin = FindBegin(r->entries);
}

}  // namespace

int RunRedisRecover(const RedisSwapOptions& opt) {
  // A sync leaves nothing in the data dir: its journal and the server tell what is left to do.
  const std::string sync_journal =
      opt.sync_journal.empty() ? DefaultSyncJournal(opt.server) : opt.sync_journal;
  if (!opt.offline && std::filesystem::exists(sync_journal)) {
    RedisConnection conn = ConnectRedis(opt.server);
    if (RecoverAbandonedSync(conn, sync_journal, opt.rewrite_timeout_seconds)) return 0;
  }
  SwapRecord rec;
  OpenSwap(opt, "recover", &rec);
  auto& [conn, dir, journal_slot, j, begin] = rec;
  Journal& journal = *journal_slot;
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
  RemoveStaged(dir);
  if (conn && begin != nullptr)
    SetRuntimeConfig(*conn, begin->value("save", ""), begin->value("appendonly", "no"));
  journal.Append({{"step", "undone"}});
  log::Info("the interrupted swap was undone: the old data is in place, untouched");
  return 0;
}

int RunRedisRollback(const RedisSwapOptions& opt) {
  SwapRecord rec;
  OpenSwap(opt, "roll back", &rec);
  auto& [conn, dir, journal_slot, j, begin] = rec;
  Journal& journal = *journal_slot;
  if (begin == nullptr || LastStep(j) == "rolled-back" || LastStep(j) == "undone") {
    throw Error(ErrorKind::kUsage, "no swap to roll back in '" + dir + "'");
  }
  if (conn) SetRuntimeConfig(*conn, "", "no");  // no writes while the files move back
  RemoveStaged(dir);
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
