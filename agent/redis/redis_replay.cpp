#include "agent/redis/redis_replay.h"

#include <chrono>
#include <deque>
#include <map>
#include <set>

#include "agent/core/dump_input.h"
#include "agent/core/error.h"
#include "agent/core/log.h"
#include "agent/core/progress.h"
#include "agent/core/rdb_scan.h"
#include "agent/core/report.h"
#include "agent/core/signals.h"
#include "agent/redis/redis_admin.h"
#include "agent/redis/redis_client.h"
#include "agent/redis/redis_functions.h"
#include "agent/redis/redis_sync.h"
#include "protocols/crc64.h"
#include "protocols/rdb_reader.h"

namespace ra {
namespace {

constexpr size_t kMaxOneCommandBytes = size_t{32} << 20;  // "tens of MB": write in pieces above
constexpr size_t kPieceBytes = size_t{1} << 20;

struct DbStats {
  uint64_t restored = 0, expired = 0, empty = 0, bytes = 0, split = 0;
  int64_t size_before = 0;
};

// RESTORE's payload: type byte, value bytes, 2-byte RDB version, CRC64 of all that.
std::string DumpPayload(uint8_t type, const std::string& value, int rdb_version) {
  std::string p;
  p.reserve(value.size() + 11);
  p.push_back(static_cast<char>(type));
  p += value;
  p.push_back(static_cast<char>(rdb_version & 0xff));
  p.push_back(static_cast<char>((rdb_version >> 8) & 0xff));
  const uint64_t crc = Crc64(0, p.data(), p.size());
  for (int i = 0; i < 8; ++i) p.push_back(static_cast<char>((crc >> (8 * i)) & 0xff));
  return p;
}

struct Pending {
  std::string what;  // "RESTORE 'key' (db 0)", "SELECT 1"
  size_t bytes = 0;
};

class Replayer {
 public:
  Replayer(RedisConnection& conn, const RedisReplayOptions& opt, std::string source)
      : conn_(conn), opt_(opt), source_(std::move(source)) {}

  void Select(int db) {
    if (db == current_db_) return;
    Queue({"SELECT", std::to_string(db)}, "SELECT " + std::to_string(db), 16);
    current_db_ = db;
  }

  void Queue(const std::vector<std::string>& args, std::string what, size_t bytes) {
    conn_.Append(args);
    pending_.push_back({std::move(what), bytes});
    in_flight_ += bytes;
    while (in_flight_ > opt_.pipeline_bytes || pending_.size() > 4096) ReadOne();
  }

  void Drain() {
    while (!pending_.empty()) ReadOne();
  }

  uint64_t acknowledged() const { return acknowledged_; }
  const std::string& last_acknowledged() const { return last_; }

 private:
  void ReadOne() {
    RedisReply r;
    try {
      r = conn_.GetReply();
    } catch (const Error& e) {
      throw Error(ErrorKind::kServer, std::string(e.what()) + "; " + std::to_string(acknowledged_) +
                                          " keys were acknowledged" +
                                          (last_.empty() ? "" : " (the last: " + last_ + ")") +
                                          ", the target holds a partial restore of '" + source_ +
                                          "'");
    }
    Pending p = std::move(pending_.front());
    pending_.pop_front();
    in_flight_ -= p.bytes;
    if (r.is_error()) {
      throw Error(
          ErrorKind::kServer,
          p.what + " failed: " + r.str + "; " + std::to_string(acknowledged_) +
              " keys were restored before it" +
              (r.str.rfind("BUSYKEY", 0) == 0
                   ? " (--replace overwrites, --flush-target-dbs empties the databases first)"
                   : ""));
    }
    if (p.what.rfind("RESTORE", 0) == 0 || p.what.rfind("write", 0) == 0) {
      ++acknowledged_;
      last_ = p.what;
    }
  }

  RedisConnection& conn_;
  const RedisReplayOptions& opt_;
  std::string source_;
  int current_db_ = -1;
  std::deque<Pending> pending_;
  size_t in_flight_ = 0;
  uint64_t acknowledged_ = 0;
  std::string last_;
};

// Writes a value too large for one command as several plain commands.
void WriteInPieces(RedisConnection& conn, Replayer& rp, const RdbItem& item, bool replace,
                   const std::string& what) {
  RdbValue v;
  std::string err;
  if (!DecodeRdbValue(item.type, item.payload, &v, &err)) {
    throw Error(ErrorKind::kCorrupt, what + ": " + err);
  }
  rp.Drain();
  if (!replace && conn.Must({"EXISTS", item.key}).integer > 0) {
    throw Error(ErrorKind::kServer, what + " failed: BUSYKEY Target key name already exists");
  }
  conn.Must({"DEL", item.key});
  auto batches = [&](const char* cmd, size_t stride, bool score_first) {
    std::vector<std::string> args = {cmd, item.key};
    size_t bytes = 0;
    for (size_t i = 0; i < v.items.size(); i += stride) {
      if (score_first) {
        args.push_back(v.items[i + 1]);
        args.push_back(v.items[i]);
      } else {
        for (size_t k = 0; k < stride; ++k) args.push_back(v.items[i + k]);
      }
      for (size_t k = 0; k < stride; ++k) bytes += v.items[i + k].size();
      if (bytes >= kPieceBytes) {
        rp.Queue(args, "write piece of '" + item.key + "'", bytes);
        args.resize(2);
        bytes = 0;
      }
    }
    if (args.size() > 2) rp.Queue(args, "write piece of '" + item.key + "'", bytes);
  };
  if (v.family == "string") {
    const std::string& s = v.items[0];
    for (size_t off = 0; off < s.size(); off += kPieceBytes) {
      rp.Queue({"APPEND", item.key, s.substr(off, kPieceBytes)},
               "write piece of '" + item.key + "'", std::min(kPieceBytes, s.size() - off));
    }
  } else if (v.family == "list") {
    batches("RPUSH", 1, false);
  } else if (v.family == "set") {
    batches("SADD", 1, false);
  } else if (v.family == "zset") {
    batches("ZADD", 2, true);
  } else if (v.family == "hash") {
    batches("HSET", 2, false);
  } else {
    throw Error(ErrorKind::kBadFormat,
                what + ": a " + v.family + " of " + std::to_string(item.payload.size()) +
                    " bytes is too large for one command and cannot be split");
  }
  if (item.expire_ms >= 0) {
    rp.Queue({"PEXPIREAT", item.key, std::to_string(item.expire_ms)}, "PEXPIREAT", 32);
  }
  rp.Drain();
}

// Which source databases go where (--db, --db-map).
class DbSelection {
 public:
  explicit DbSelection(const RedisReplayOptions& opt) : only_(opt.dbs.begin(), opt.dbs.end()) {
    for (const std::string& m : opt.db_map) {
      const size_t colon = m.find(':');
      if (colon == std::string::npos)
        throw Error(ErrorKind::kUsage, "--db-map takes SRC:DST, not '" + m + "'");
      map_[std::stoi(m.substr(0, colon))] = std::stoi(m.substr(colon + 1));
    }
  }
  bool wanted(uint64_t db) const { return only_.empty() || only_.count(static_cast<int>(db)) > 0; }
  int target(uint64_t db) const {
    auto it = map_.find(static_cast<int>(db));
    return it == map_.end() ? static_cast<int>(db) : it->second;
  }

 private:
  std::set<int> only_;
  std::map<int, int> map_;
};

// The target must load this backup's encodings; returns the largest value one command may carry.
size_t CheckTarget(RedisConnection& conn, int rdb_version, std::string* server_version) {
  *server_version = conn.Info("server")["redis_version"];
  const int server_rdb = MaxRdbVersionFor(*server_version);
  if (rdb_version > server_rdb) {
    throw Error(ErrorKind::kBadFormat,
                "the backup is rdb version " + std::to_string(rdb_version) + " but redis " +
                    *server_version + " understands rdb versions up to " +
                    std::to_string(server_rdb) +
                    " (its RESTORE refuses newer payloads and it does not know newer encodings); "
                    "nothing was written: replay into a redis at least as new as the one that "
                    "wrote the backup");
  }
  size_t limit = kMaxOneCommandBytes;
  const std::string bulk = conn.ConfigGet("proto-max-bulk-len");
  if (!bulk.empty()) limit = std::min<size_t>(limit, std::stoull(bulk) - 1024);
  return limit;
}

std::vector<std::string> RestoreArgs(const RdbItem& item, int rdb_version, bool replace) {
  std::vector<std::string> args = {"RESTORE", item.key,
                                   item.expire_ms >= 0 ? std::to_string(item.expire_ms) : "0",
                                   DumpPayload(item.type, item.payload, rdb_version)};
  if (item.expire_ms >= 0) args.push_back("ABSTTL");
  if (replace) args.push_back("REPLACE");
  if (item.idle_seconds >= 0) {
    args.push_back("IDLETIME");
    args.push_back(std::to_string(item.idle_seconds));
  } else if (item.freq >= 0) {
    args.push_back("FREQ");
    args.push_back(std::to_string(item.freq));
  }
  return args;
}

struct ReplayRun {
  const RedisReplayOptions& opt;
  const DbSelection& dbs;
  RedisConnection& conn;
  int rdb_version;
  size_t limit;
  std::map<int, DbStats>& stats;
};

// Pass 2: every wanted key of the backup, pipelined.
void ReplayKeys(ReplayRun& run, DumpInput& input, StreamCounters& counters) {
  DumpRdbInput rdb(input);
  RdbReader reader(&rdb);
  RdbItem item;
  Replayer rp(run.conn, run.opt, input.name());
  ProgressReporter progress(counters, ParseProgressMode(run.opt.common.progress), "keys");
  uint64_t processed = 0;
  while (reader.Next(&item)) {
    if (item.kind != RdbItem::Kind::kKey || !run.dbs.wanted(item.db)) continue;
    if (StopRequested()) {
      rp.Drain();
      throw Error(ErrorKind::kInterrupted,
                  "interrupted after " + std::to_string(rp.acknowledged()) +
                      " keys; the target holds a partial restore",
                  StopSignal());
    }
    const int db = run.dbs.target(item.db);
    DbStats& st = run.stats[db];
    counters.items = ++processed;
    if (item.expire_ms >= 0 && item.expire_ms <= UnixMillis()) {
      ++st.expired;
      continue;
    }
    if (item.empty()) {  // Redis skips empty collections when it loads a file; RESTORE refuses them
      ++st.empty;
      continue;
    }
    rp.Select(db);
    const std::string what = "RESTORE '" + item.key + "' (db " + std::to_string(db) +
                             ", backup byte " + std::to_string(item.offset) + ")";
    st.bytes += item.payload.size();
    ++st.restored;
    if (item.payload.size() + 11 > run.limit) {
      WriteInPieces(run.conn, rp, item, run.opt.replace || run.opt.flush_target_dbs, what);
      ++st.split;
      continue;
    }
    std::vector<std::string> args = RestoreArgs(item, run.rdb_version, run.opt.replace);
    const size_t bytes = args[3].size() + item.key.size();
    rp.Queue(args, what, bytes);
  }
  if (reader.error().code != RdbErrc::kNone) {
    rp.Drain();
    throw Error(ErrorKind::kCorrupt, "backup '" + input.name() +
                                         "' changed while being read: " + reader.error().message);
  }
  rp.Drain();
}

// Per database: keys restored, skipped, replaced (from DBSIZE before and after).
nlohmann::json SummarizeDbs(ReplayRun& run, double seconds, uint64_t* total) {
  nlohmann::json dbs = nlohmann::json::array();
  for (auto& [db, st] : run.stats) {
    run.conn.Must({"SELECT", std::to_string(db)});
    const int64_t added = std::max<int64_t>(run.conn.Must({"DBSIZE"}).integer - st.size_before, 0);
    const uint64_t replaced =
        st.restored > static_cast<uint64_t>(added) ? st.restored - static_cast<uint64_t>(added) : 0;
    *total += st.restored;
    log::Info("  db" + std::to_string(db) + ": " + std::to_string(st.restored) +
                  " keys restored, " + std::to_string(st.expired) + " skipped (expired), " +
                  (st.empty ? std::to_string(st.empty) + " skipped (empty, as Redis does), " : "") +
                  std::to_string(replaced) + " replaced, " + FormatBytes(st.bytes) +
                  (st.split ? ", " + std::to_string(st.split) + " written in pieces" : ""),
              {{"db", db},
               {"restored", st.restored},
               {"expired", st.expired},
               {"replaced", replaced},
               {"bytes", st.bytes}});
    dbs.push_back({{"db", db},
                   {"restored", st.restored},
                   {"skipped_expired", st.expired},
                   {"skipped_empty", st.empty},
                   {"replaced", replaced},
                   {"written_in_pieces", st.split},
                   {"bytes", st.bytes}});
  }
  (void)seconds;
  return dbs;
}

void PrepareTargets(ReplayRun& run, const std::set<int>& targets) {
  for (int db : targets) {
    run.conn.Must({"SELECT", std::to_string(db)});
    if (run.opt.flush_target_dbs) run.conn.Must({"FLUSHDB"});
    run.stats[db].size_before = run.conn.Must({"DBSIZE"}).integer;
  }
  if (run.opt.flush_target_dbs && !targets.empty()) {
    log::Info("emptied the target databases before the replay");
  }
}

}  // namespace

int RunRedisReplay(const RedisReplayOptions& opt) {
  const auto started = std::chrono::steady_clock::now();
  const DbSelection dbs(opt);
  // Pass 1: the whole backup is checked before anything is written.
  const RdbCensus census = ScanRdb(opt.backup);
  RequireSoundRdb(census, "written");
  WarnAboutUnloaded(census);
  std::set<int> targets;
  for (const auto& [db, d] : census.dbs)
    if (dbs.wanted(db)) targets.insert(dbs.target(db));

  RedisConnection conn = ConnectRedis(opt.server);
  RecoverAbandonedSync(conn, DefaultSyncJournal(opt.server), opt.rewrite_timeout_seconds);
  std::string server_version;
  const size_t limit = CheckTarget(conn, census.rdb_version, &server_version);
  const bool replace = opt.replace || opt.flush_target_dbs;
  const FunctionPlan functions = PlanFunctions(conn, census.functions, replace);
  std::map<int, DbStats> stats;
  ReplayRun run{opt, dbs, conn, census.rdb_version, limit, stats};
  // Everything that can be checked was: only now is anything written.
  PrepareTargets(run, targets);
  LoadFunctions(conn, functions, replace);
  log::Info("replaying '" + opt.backup + "' into redis " + conn.endpoint() + " (" + server_version +
            ")");
  StreamCounters counters;
  DumpInput input(opt.backup, &counters);
  ReplayKeys(run, input, counters);

  const bool aof = conn.Info("persistence")["aof_enabled"] == "1";
  if (aof) {
    RewriteAofAndWait(conn, opt.rewrite_timeout_seconds);
    log::Info("append-only file rewritten");
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  uint64_t total = 0;
  const nlohmann::json per_db = SummarizeDbs(run, seconds, &total);
  char rate[64];
  std::snprintf(rate, sizeof rate, "%.2f s, %.0f keys/s", seconds,
                seconds > 0 ? total / seconds : 0.0);
  log::Info("replayed '" + input.name() + "': " + std::to_string(total) + " keys in " + rate,
            {{"keys", total}, {"seconds", seconds}});
  if (!opt.common.report_path.empty()) {
    WriteReport(opt.common.report_path, {{"command", "restore-redis replay"},
                                         {"status", "ok"},
                                         {"source", input.name()},
                                         {"target", conn.endpoint()},
                                         {"databases", per_db},
                                         {"keys", total},
                                         {"seconds", seconds},
                                         {"keys_per_second", seconds > 0 ? total / seconds : 0.0},
                                         {"functions_loaded", functions.load.size()},
                                         {"functions_unchanged", functions.unchanged.size()},
                                         {"aof_rewritten", aof}});
  }
  return 0;
}

}  // namespace ra
