#include "agent/redis/redis_sync.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "agent/core/dump_input.h"
#include "agent/core/error.h"
#include "agent/core/journal.h"
#include "agent/core/log.h"
#include "agent/core/progress.h"
#include "agent/core/rdb_scan.h"
#include "agent/core/report.h"
#include "agent/core/signals.h"
#include "agent/redis/redis_admin.h"
#include "agent/redis/sync_checks.h"
#include "agent/redis/sync_link.h"

namespace ra {
namespace {

using Json = nlohmann::json;
using Clock = std::chrono::steady_clock;

// The +FULLRESYNC offset is the server's own moved on by this much: its replicas then cannot
// continue partially from it and keep their old data.
constexpr uint64_t kOffsetBump = 1000000;

double Since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// What the server is sent: the RDB up to its end, without any bytes after it.
uint64_t PayloadBytes(const RdbCensus& census) {
  return census.uncompressed_bytes - census.trailing_bytes;
}

// The journal: each step appended (fsynced) before the next begins; tests may stop the agent
// after any of them (FaultPoint).
class SyncJournal {
 public:
  explicit SyncJournal(const std::string& path) : file_(path, 0600) {}
  std::vector<Json> Read() const { return file_.Read(); }
  void Step(const std::string& step, Json extra = Json::object()) {
    extra["step"] = step;
    file_.Append(std::move(extra));
    FaultPoint(step);
  }
  void Archive() { file_.Archive(); }
  const std::string& path() const { return file_.path(); }

 private:
  JsonJournal file_;
};

bool Finished(const std::vector<Json>& j) {
  if (j.empty()) return true;
  const std::string last = j.back().value("step", "");
  return last == "finished" || last == "undone" || last == "recovered";
}

void SetSettings(RedisConnection& conn, const std::map<std::string, std::string>& settings) {
  for (const auto& [name, value] : settings) {
    if (value.empty()) continue;  // not a setting of this server
    conn.Must({"CONFIG", "SET", name, value});
  }
}

std::map<std::string, std::string> SyncValues(const SyncTarget& t) {
  std::map<std::string, std::string> out;
  for (const auto& [name, value] : SyncSettings())
    if (!t.settings.at(name).empty()) out[name] = value;
  return out;
}

// After the load: the AOF rewrite the full sync started (AOF on), else a snapshot, so that a
// restart loads the backup and not the old files.
std::string MakeDurable(RedisConnection& conn, double timeout_seconds) {
  if (conn.Info("persistence")["aof_enabled"] == "1") {
    WaitAofRewrite(conn, true, timeout_seconds);
    return "aof-rewrite";
  }
  SnapshotAndWait(conn, timeout_seconds);
  return "bgsave";
}

Error Interrupted(const std::string& when) {
  return Error(ErrorKind::kInterrupted,
               "interrupted by signal " + std::to_string(StopSignal()) + " " + when, StopSignal());
}

// One sync, step by step; on a failure before the new data is loaded, the server is made a
// master again with its settings and its old data (Undo).
class SyncRun {
 public:
  // `started`: when the command started (the time to the new data counts from there).
  SyncRun(RedisConnection& conn, const RedisSyncOptions& opt, const RdbCensus& census,
          const SyncTarget& t, SyncJournal& journal, Clock::time_point started)
      : conn_(conn), opt_(opt), census_(census), t_(t), journal_(journal), start_(started) {}

  void Run();
  void Report(Json* r) const;

 private:
  void Begin();
  void Stream();
  void WaitLoaded();
  void Promote();
  void Undo() noexcept;

  RedisConnection& conn_;
  const RedisSyncOptions& opt_;
  const RdbCensus& census_;
  const SyncTarget& t_;
  SyncJournal& journal_;
  SyncLink link_;
  Clock::time_point start_;
  uint64_t payload_ = 0, sent_ = 0;
  bool loaded_ = false;
  int64_t loaded_ms_ = 0;
  double to_new_data_ = 0, load_seconds_ = 0;
  std::string durability_;
};

void SyncRun::Run() {
  payload_ = PayloadBytes(census_);
  try {
    Begin();
    Stream();
    WaitLoaded();
    Promote();
  } catch (...) {
    if (!loaded_) Undo();
    throw;
  }
  SetSettings(conn_, t_.settings);
  journal_.Step("settings-restored");
  durability_ = MakeDurable(conn_, opt_.rewrite_timeout_seconds);
  journal_.Step("durable", {{"durability", durability_}});
}

void SyncRun::Begin() {
  journal_.Step("begin", {{"backup", opt_.backup},
                          {"port", link_.port()},
                          {"replid", t_.replid},
                          {"offset", t_.offset + kOffsetBump},
                          {"settings", t_.settings},
                          {"pid", getpid()}});
  SetSettings(conn_, SyncValues(t_));
  conn_.Must({"REPLICAOF", "127.0.0.1", std::to_string(link_.port())});
  journal_.Step("replicaof");
  log::Info("the server is a replica of the agent (127.0.0.1:" + std::to_string(link_.port()) +
            ") for the restore; repl-diskless-load swapdb keeps its old data until the backup "
            "is loaded whole");
}

void SyncRun::Stream() {
  link_.AwaitPsync(t_.replid, t_.port, Clock::now() + std::chrono::seconds(60));
  link_.StartPayload(t_.replid, t_.offset + kOffsetBump, payload_);
  StreamCounters counters;
  DumpInput input(opt_.backup, &counters);
  ProgressReporter progress(counters, ParseProgressMode(opt_.common.progress), "keys");
  bool half = false;
  while (sent_ < payload_) {
    if (StopRequested())
      throw Interrupted("while the backup was sent; the server keeps its old data");
    const std::string_view chunk = input.NextChunk();
    if (chunk.empty()) throw Error(ErrorKind::kCorrupt, "'" + opt_.backup + "' ended early");
    std::string_view rest =
        chunk.substr(0, static_cast<size_t>(std::min<uint64_t>(chunk.size(), payload_ - sent_)));
    while (!rest.empty()) {  // in slices: the halfway fault point of the tests falls inside
      const std::string_view slice = rest.substr(0, 16 * 1024);
      link_.Send(slice, 60);
      sent_ += slice.size();
      rest.remove_prefix(slice.size());
      if (!half && sent_ * 2 >= payload_) {
        half = true;
        FaultPoint("half-streamed");
      }
    }
  }
  journal_.Step("streamed", {{"bytes", sent_}});
}

void SyncRun::WaitLoaded() {
  const auto deadline = Clock::now() + std::chrono::milliseconds(
                                           static_cast<int64_t>(opt_.load_timeout_seconds * 1000));
  auto next_log = Clock::now() + std::chrono::seconds(2);
  for (;;) {
    if (StopRequested())
      throw Interrupted("while the server loaded the backup; it keeps its old data");
    const bool open = link_.Drain();
    auto repl = conn_.Info("replication");
    auto p = conn_.Info("persistence");
    const bool loading = p["loading"] == "1" || p["async_loading"] == "1";
    if (repl["master_link_status"] == "up" && repl["master_sync_in_progress"] == "0" && !loading)
      break;
    if (!open)
      throw Error(ErrorKind::kServer,
                  "the server dropped the replication link: it refused the "
                  "backup (its log says why); it keeps its old data");
    if (Clock::now() > deadline)
      throw Error(ErrorKind::kServer, "the server did not load the backup in time");
    if (Clock::now() > next_log) {
      log::Info("the server is loading the backup (" + p["loading_loaded_perc"] + "%)");
      next_log += std::chrono::seconds(2);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  loaded_ = true;
  loaded_ms_ = UnixMillis();
  to_new_data_ = Since(start_);
  journal_.Step("loaded");
}

void SyncRun::Promote() {
  conn_.Must({"REPLICAOF", "NO", "ONE"});
  link_.Close();
  journal_.Step("promoted");
  char took[32];
  std::snprintf(took, sizeof took, "%.2f", to_new_data_);
  log::Info("the server serves the backup's data (" + std::to_string(census_.keys) + " keys, " +
            took + " s after the start) and is a master again");
}

void SyncRun::Undo() noexcept {
  try {
    conn_.Command({"REPLICAOF", "NO", "ONE"});
    link_.Close();
    SetSettings(conn_, t_.settings);
    journal_.Step("undone");
    journal_.Archive();
    log::Info("undone: the server is a master again, with its old data and its settings");
  } catch (const std::exception& e) {
    log::Error(std::string("could not undo the sync (") + e.what() +
               "): run restore-redis recover with the same connection options");
  }
}

void SyncRun::Report(Json* r) const {
  (*r)["bytes_sent"] = sent_;
  (*r)["seconds_to_new_data"] = to_new_data_;
  (*r)["durability"] = durability_;
  (*r)["settings_changed"] = SyncValues(t_);
  (*r)["replication_port"] = link_.port();
}

}  // namespace

std::string DefaultSyncJournal(const RedisServerOptions& s) {
  const char* tmp = std::getenv("TMPDIR");
  std::string name = s.socket.empty() ? s.host + "-" + std::to_string(s.port) : s.socket;
  for (char& c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-') c = '_';
  return std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/restore-agent-sync-" +
         name + ".journal";
}

namespace {

// The backup read end to end: what it holds, and the refusal when it is not sound or is newer
// than the server loads.
RdbCensus ValidateForSync(const std::string& backup, const SyncTarget& t) {
  RdbScanOptions scan;
  scan.keep_expiries = true;
  RdbCensus census = ScanRdb(backup, scan);
  RequireSoundRdb(census, "changed");
  WarnAboutUnloaded(census);
  const int max = MaxRdbVersionFor(t.version);
  if (census.rdb_version > max) {
    throw Error(ErrorKind::kBadFormat, "backup '" + backup + "' is RDB version " +
                                           std::to_string(census.rdb_version) +
                                           ", newer than Redis " + t.version + " loads (up to " +
                                           std::to_string(max) + "); nothing was changed");
  }
  return census;
}

void VerifyKeys(RedisConnection& conn, const RdbCensus& census, int64_t loaded_ms) {
  std::map<uint64_t, uint64_t> persistent;
  for (const auto& [db, c] : census.dbs) persistent[db] = c.persistent;
  const auto expected = ExpectedKeys(persistent, census.expiries, loaded_ms, UnixMillis());
  const std::string mismatch = DescribeKeyMismatch(expected, KeysPerDb(conn));
  if (!mismatch.empty())
    throw Error(ErrorKind::kServer, "after the sync the key counts differ from the backup:" +
                                        mismatch.substr(0, mismatch.size() - 1));
}

std::string Joined(const std::vector<std::string>& v) {
  std::string out;
  for (const std::string& s : v) out += (out.empty() ? "" : "; ") + s;
  return out;
}

Json BaseReport(const RedisSyncOptions& opt, RedisConnection& conn, const SyncTarget& t,
                const RdbCensus& census) {
  return {{"command", "restore-redis sync"},   {"backup", opt.backup},
          {"target", conn.endpoint()},         {"server_version", t.version},
          {"rdb_version", census.rdb_version}, {"keys", census.keys}};
}

}  // namespace

int RunRedisSync(const RedisSyncOptions& opt) {
  const auto started = Clock::now();
  if (opt.backup == "-" && !opt.check_only)
    throw Error(ErrorKind::kUsage,
                "sync reads the backup twice (to validate it, then to send "
                "it): give a file, not stdin (stdin serves --check)");
  RedisConnection conn = ConnectRedis(opt.server);
  const std::string path = opt.journal.empty() ? DefaultSyncJournal(opt.server) : opt.journal;
  RecoverAbandonedSync(conn, path, opt.rewrite_timeout_seconds);
  const SyncTarget t = DescribeSyncTarget(conn);
  const RdbCensus census = ValidateForSync(opt.backup, t);
  const std::vector<std::string> problems = SyncProblems(
      conn, t, opt.expected_memory > 0 ? opt.expected_memory : 2 * PayloadBytes(census));
  Json report = BaseReport(opt, conn, t, census);
  if (!problems.empty()) {
    const Error e(ErrorKind::kPrecondition,
                  "restore-redis sync cannot restore " + conn.endpoint() + ": " + Joined(problems) +
                      "; nothing was changed (restore-redis swap does not need these)");
    report["status"] = "refused";
    report["problems"] = problems;
    WriteReportIfAsked(opt.common.report_path, report);
    throw e;
  }
  if (opt.check_only) {
    log::Info("restore-redis sync can restore '" + opt.backup + "' into " + conn.endpoint() +
              " (every check passed; --check changed nothing)");
    report["status"] = "checked";
    WriteReportIfAsked(opt.common.report_path, report);
    return 0;
  }
  SyncJournal journal(path);
  SyncRun run(conn, opt, census, t, journal, started);
  try {
    run.Run();
    VerifyKeys(conn, census, UnixMillis());
  } catch (const Error& e) {
    report["status"] = "failed";
    report["error"] = {{"kind", ErrorKindName(e.kind())}, {"message", e.what()}};
    run.Report(&report);
    WriteReportIfAsked(opt.common.report_path, report);
    throw;
  }
  journal.Step("finished");
  journal.Archive();
  report["status"] = "ok";
  report["seconds"] = Since(started);
  run.Report(&report);
  WriteReportIfAsked(opt.common.report_path, report);
  log::Info("restored '" + opt.backup + "' into " + conn.endpoint() +
                " by replication: " + std::to_string(census.keys) + " keys, made durable (" +
                report["durability"].get<std::string>() + ")",
            {{"keys", census.keys}, {"seconds", report["seconds"]}});
  return 0;
}

bool RecoverAbandonedSync(RedisConnection& conn, const std::string& path,
                          double rewrite_timeout_seconds) {
  SyncJournal journal(path);
  const std::vector<Json> j = journal.Read();
  if (Finished(j)) return false;
  const Json& begin = j.front();
  const int port = begin.value("port", 0);
  log::Warn("a restore-redis sync against " + conn.endpoint() + " did not finish (journal '" +
            path + "', last step '" + j.back().value("step", "") + "'): recovering");
  auto repl = conn.Info("replication");
  if (repl["role"] == "slave" && repl["master_host"] == "127.0.0.1" &&
      repl["master_port"] == std::to_string(port)) {
    // A load under way ends first (the payload was sent whole), else NO ONE would cut it.
    for (int i = 0; i < 6000; ++i) {
      auto p = conn.Info("persistence");
      if (p["loading"] != "1" && p["async_loading"] != "1") break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    conn.Must({"REPLICAOF", "NO", "ONE"});
  }
  SetSettings(conn, begin.value("settings", std::map<std::string, std::string>()));
  // The echoed replication id goes on from the bumped offset only once the backup loaded.
  repl = conn.Info("replication");
  const bool backup_loaded = std::strtoull(repl["master_repl_offset"].c_str(), nullptr, 10) >=
                             begin.value("offset", uint64_t{0});
  if (backup_loaded) MakeDurable(conn, rewrite_timeout_seconds);
  journal.Step("recovered", {{"holds", backup_loaded ? "backup" : "old data"}});
  journal.Archive();
  log::Info("recovered: the server is a master again with its settings and holds " +
            std::string(backup_loaded ? "the backup's data (made durable)" : "its old data"));
  return true;
}

}  // namespace ra
