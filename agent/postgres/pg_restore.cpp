#include "agent/postgres/pg_restore.h"

#include <cctype>
#include <memory>
#include <set>

#include "agent/core/error.h"
#include "agent/core/identity.h"
#include "agent/core/log.h"
#include "agent/postgres/pg_client.h"
#include "agent/postgres/pg_loader.h"
#include "agent/postgres/pg_route.h"
#include "protocols/pg_dump_splitter.h"
#include "protocols/pg_statement.h"

namespace ra {
namespace {

// SQLSTATEs of the errors that pg_dumpall -c --if-exists output always produces on a live
// server, and that psql users learn to ignore.
constexpr const char* kObjectInUse =
    "55006";  // DROP ROLE of the connected role; busy DROP DATABASE
constexpr const char* kDuplicateObject = "42710";  // CREATE ROLE of a role that exists

// Who is connected to `db`, for the DROP DATABASE message.
std::string DescribeSessions(PgConnection& conn, const std::string& db, size_t* count) {
  const auto rows = conn.Query(
      "SELECT pid::text, usename, application_name, client_addr::text, "
      "to_char(backend_start, 'YYYY-MM-DD HH24:MI:SS TZ'), state FROM pg_stat_activity "
      "WHERE datname = $1 AND pid <> pg_backend_pid() ORDER BY backend_start",
      {db});
  *count = rows.size();
  std::string out;
  for (const auto& r : rows) {
    auto v = [&](size_t i) { return r[i].value_or(""); };
    if (!out.empty()) out += "; ";
    out += "pid " + v(0) + " user '" + v(1) + "' application '" + v(2) + "'";
    if (!v(3).empty()) out += " from " + v(3);
    out += " since " + v(4) + " (" + v(5) + ")";
  }
  return out;
}

std::string BusyDatabaseMessage(PgConnection& conn, const std::string& db,
                                const std::string& server_said) {
  size_t sessions = 0;
  const std::string who = DescribeSessions(conn, db, &sessions);
  std::string out = "cannot drop database '" + db + "': " + std::to_string(sessions) +
                    " other session" + (sessions == 1 ? " is" : "s are") +
                    " connected to it. Its clients (for zync_production: the zync and zync-que "
                    "deployments) must be scaled to zero before the restore. Connected now "
                    "(pg_stat_activity): " +
                    (who.empty() ? "none any more, retry" : who) + ".";
  if (!server_said.empty()) out += " Server said: " + server_said;
  return out;
}

class PgRestorer final : public SplittingRestorer<PgDumpSplitter> {
 public:
  explicit PgRestorer(const RestorePostgresOptions& opt)
      : SplittingRestorer("restore-postgres", "pg_dump", "--on-error continue"), opt_(opt) {
    target_.host = opt.host;
    target_.port = opt.port;
    // libpq would ask getpwuid(), which fails for an arbitrary OpenShift uid in a static binary.
    target_.user = ResolveUserName(opt.user, "PGUSER", "--username");
    target_.dbname = opt.dbname;
    target_.password = ResolvePassword(opt.password, nullptr);  // PGPASSWORD is libpq's own
    const std::string& mem = opt.maintenance_work_mem;
    if (mem.find_first_not_of("0123456789kMGTB") != std::string::npos ||
        (!mem.empty() && !std::isdigit(static_cast<unsigned char>(mem[0])))) {
      throw Error(ErrorKind::kUsage,
                  "--maintenance-work-mem '" + mem + "': give a size such as 128MB or 1GB");
    }
    if (!mem.empty()) target_.session_options = "-c maintenance_work_mem=" + mem;
  }

  bool wants_census() const override { return true; }

  void Connect(RestoreRun& run) override;
  void ApplyReady(RestoreRun& run) override;
  void Drain(RestoreRun& run) override;
  void Report(const RestoreCounts& counts, nlohmann::json& r) const override;
  std::string Summary(const RestoreCounts& counts, nlohmann::json* fields) const override;

 private:
  void RefuseBusyDatabases(RestoreRun& run);
  void ApplyItem(RestoreRun& run, const PgDumpItem& item);
  void ApplyStatement(RestoreRun& run, const PgDumpItem& st);
  void RunOnMain(RestoreRun& run, const PgDumpItem& st, const StatementInfo& info, bool session);
  bool Tolerated(const StatementInfo& info, const PgResult& r, const std::string& where,
                 RestoreRun& run);
  void BeginCopy(RestoreRun& run, const PgDumpItem& st, const StatementInfo& info);
  void CopyData(RestoreRun& run, const PgDumpItem& item);
  void EndCopy(RestoreRun& run, const PgDumpItem& item);
  void ApplyMeta(RestoreRun& run, const PgDumpItem& m);
  PgJob MakeJob(const RestoreRun& run, const PgDumpItem& st, std::string key) const;
  void Reconnect(RestoreRun& run, const PgDumpItem& m);
  void SetClientEncoding(RestoreRun& run, const PgDumpItem& m);
  std::string TableName(const StatementInfo& info) const {
    return conn_->dbname() + "." + QualifiedName(info, "");
  }

  const RestorePostgresOptions& opt_;
  PgTarget target_;
  std::optional<PgConnection> conn_;
  std::unique_ptr<PgLoader> loader_;
  std::string server_version_;
  std::vector<std::string> databases_;
  std::set<std::string> loaded_;  // tables that received rows since this restore created them
  uint64_t copies_ = 0;
  uint64_t copies_in_database_ = 0;  // since the last \connect
  // The COPY block being read.
  enum class CopyState { kNone, kMain, kLoader, kSkip } copy_ = CopyState::kNone;
  StatementInfo copy_info_;
  uint64_t copy_line_ = 0, copy_offset_ = 0;
};

PgJob PgRestorer::MakeJob(const RestoreRun& run, const PgDumpItem& st, std::string key) const {
  PgJob job;
  job.seq = st.number;
  job.key = std::move(key);
  job.sql = st.text;
  job.where = Where(run.name(), st.line, st.number, st.offset);
  job.stop_on_error = !run.go_on();
  return job;
}

void PgRestorer::Connect(RestoreRun& run) {
  conn_.emplace(PgConnection::Connect(target_, run.wait()));
  server_version_ = std::to_string(conn_->server_version());
  databases_.push_back(conn_->dbname());
  run.set_go_on(opt_.on_error == "continue");
  log::Info("restoring '" + run.name() + "' into " + conn_->endpoint(),
            {{"server_version", conn_->server_version()}});
  RefuseBusyDatabases(run);
  const int jobs = run.jobs();
  if (jobs <= 1) return;
  loader_ = std::make_unique<PgLoader>(target_, jobs, run.wait());
  loader_->NewDatabase(conn_->dbname());
  log::Info("loading COPY blocks and indexes with " + std::to_string(jobs) +
                " connections (--jobs); everything else in dump order" +
                (opt_.maintenance_work_mem.empty()
                     ? ""
                     : "; maintenance_work_mem " + opt_.maintenance_work_mem + " per connection"),
            {{"jobs", jobs}, {"maintenance_work_mem", opt_.maintenance_work_mem}});
}

// Every database the dump drops must be free of other sessions before the first DROP: a
// pg_dumpall drops them one after the other, and stopping at the second would leave the first
// one gone.
void PgRestorer::RefuseBusyDatabases(RestoreRun& run) {
  for (const std::string& db : run.census().dropped_databases()) {
    size_t sessions = 0;
    DescribeSessions(*conn_, db, &sessions);
    if (sessions > 0) {
      throw Error(ErrorKind::kServer,
                  BusyDatabaseMessage(*conn_, db, "") + " Nothing was restored.");
    }
  }
}

void PgRestorer::ApplyReady(RestoreRun& run) {
  PgDumpItem item;
  while (splitter_.Next(&item)) {
    try {
      run.CheckStop(Where(run.name(), item.line, item.number, item.offset), run.counts().statements,
                    "the cluster holds a partial restore (database '" + conn_->dbname() + "')");
    } catch (const Error&) {
      if (copy_ == CopyState::kMain) conn_->EndCopy("restore interrupted");
      throw;
    }
    ApplyItem(run, item);
  }
}

void PgRestorer::ApplyItem(RestoreRun& run, const PgDumpItem& item) {
  switch (item.type) {
    case PgDumpItem::Type::kStatement:
      ApplyStatement(run, item);
      break;
    case PgDumpItem::Type::kCopyData:
      CopyData(run, item);
      break;
    case PgDumpItem::Type::kCopyEnd:
      EndCopy(run, item);
      break;
    case PgDumpItem::Type::kMetaCommand:
      ApplyMeta(run, item);
      break;
  }
}

void PgRestorer::ApplyStatement(RestoreRun& run, const PgDumpItem& st) {
  const StatementInfo info = ClassifyPgStatement(st.text);
  const std::string table = QualifiedName(info, "");
  const Route route = PgRoute(info, table, loader_ != nullptr);
  run.CountStatement();
  if (info.kind == StatementKind::kCopyFromStdin) {
    run.Phase("data");
    BeginCopy(run, st, info);
    return;
  }
  // pg_dump's sections: what follows the data (indexes, constraints, ACLs) is post-data.
  run.Phase(copies_in_database_ > 0 ? "post-data" : "schema");
  if (info.kind == StatementKind::kInsert) loaded_.insert(TableName(info));
  if (info.kind == StatementKind::kCreateTable) loaded_.erase(TableName(info));
  if (route.barrier == Route::Barrier::kKey) loader_->Wait(route.wait_for);
  if (route.barrier == Route::Barrier::kAll) loader_->WaitAll();
  if (route.target == Route::Target::kWorker) {
    loader_->Submit(MakeJob(run, st, route.job_key));
    return;
  }
  RunOnMain(run, st, info, route.session);
}

void PgRestorer::RunOnMain(RestoreRun& run, const PgDumpItem& st, const StatementInfo& info,
                           bool session) {
  const PgResult r = conn_->Execute(st.text);
  const std::string where = Where(run.name(), st.line, st.number, st.offset);
  if (r.ok) {
    if (session && loader_) loader_->AddSession(st.text);
    if (info.kind == StatementKind::kCreateTable)
      run.counts().tables.Table(TableName(info)).created = true;
    return;
  }
  if (Tolerated(info, r, where, run)) return;
  if (info.kind == StatementKind::kDropDatabase && r.sqlstate == kObjectInUse) {
    // Going on would load the backup on top of the live database: always stop.
    run.ServerError(where + ": " + BusyDatabaseMessage(*conn_, info.schema, r.Describe()),
                    st.number - 1, true, go_on_option());
    return;
  }
  run.ServerError(where + ": " + r.Describe() + " (in " + DescribeStatement(info) + ")",
                  st.number - 1, r.connection_lost, go_on_option());
}

// The two errors pg_dumpall -c output always gives on a live server: warnings, not failures.
bool PgRestorer::Tolerated(const StatementInfo& info, const PgResult& r, const std::string& where,
                           RestoreRun& run) {
  if (info.kind == StatementKind::kDropRole && r.sqlstate == kObjectInUse &&
      info.object == conn_->user()) {
    ++run.counts().warnings;
    log::Warn(where + ": role '" + info.object +
              "' is the one the restore is connected as and cannot be dropped; going on (" +
              "pg_dumpall -c output always tries)");
    return true;
  }
  if (info.kind == StatementKind::kCreateRole && r.sqlstate == kDuplicateObject) {
    ++run.counts().warnings;
    log::Warn(where + ": role '" + info.object +
              "' exists already; going on (the ALTER ROLE that follows sets its attributes)");
    return true;
  }
  return false;
}

void PgRestorer::BeginCopy(RestoreRun& run, const PgDumpItem& st, const StatementInfo& info) {
  ++copies_;
  ++copies_in_database_;
  copy_info_ = info;
  copy_line_ = st.line;
  copy_offset_ = st.offset;
  const std::string name = TableName(info);
  if (loader_) {
    PgJob job = MakeJob(run, st, QualifiedName(info, ""));
    job.copy = true;
    job.table = name;
    job.relation = PgCopyRelation(st.text);
    // TRUNCATE first (no WAL at wal_level=minimal) only when this restore created the table and
    // nothing has been loaded into it since.
    job.truncate_first = run.counts().tables.Table(name).created && loaded_.insert(name).second;
    loader_->BeginCopy(std::move(job), run.census().Rows(name));
    copy_ = CopyState::kLoader;
    return;
  }
  const PgResult r = conn_->BeginCopy(st.text);
  copy_ = r.ok ? CopyState::kMain : CopyState::kSkip;
  if (!r.ok) {
    run.ServerError(Where(run.name(), st.line, st.number, st.offset) + ": " + r.Describe() +
                        " (in " + DescribeStatement(info) + ")",
                    st.number - 1, r.connection_lost, go_on_option());
  }
}

void PgRestorer::CopyData(RestoreRun& run, const PgDumpItem& item) {
  if (copy_ == CopyState::kLoader) {
    loader_->CopyData(item.text);
  } else if (copy_ == CopyState::kMain && !conn_->PutCopyData(item.text)) {
    throw Error(ErrorKind::kServer, Where(run.name(), item.line, item.number, item.offset) +
                                        ": sending COPY data failed: " + conn_->EndCopy().primary);
  }
}

void PgRestorer::EndCopy(RestoreRun& run, const PgDumpItem& item) {
  const CopyState state = copy_;
  copy_ = CopyState::kNone;
  TableCount& t = run.counts().tables.Table(TableName(copy_info_));
  if (state == CopyState::kLoader) {  // a loading connection copies it: count the dump's rows
    t.rows += item.rows;
    loader_->EndCopy();
    return;
  }
  if (state != CopyState::kMain) return;
  const PgResult r = conn_->EndCopy();
  if (!r.ok) {
    run.ServerError(Where(run.name(), copy_line_, item.number, copy_offset_) + ": " + r.Describe() +
                        " (in " + DescribeStatement(copy_info_) + ")",
                    item.number - 1, r.connection_lost, go_on_option());
    return;
  }
  t.rows += item.rows;
  t.server_rows += r.rows;
}

void PgRestorer::ApplyMeta(RestoreRun& run, const PgDumpItem& m) {
  if (m.command == "connect") {
    copies_in_database_ = 0;
    run.Phase("schema");
    Reconnect(run, m);
  } else if (m.command == "encoding" && !m.args.empty()) {
    SetClientEncoding(run, m);
  } else if (m.command == "set" && m.args.size() >= 2 && m.args[0] == "ON_ERROR_STOP") {
    const std::string& v = m.args[1];
    const bool stop = v == "on" || v == "1" || v == "true" || v == "ON";
    run.set_go_on(!stop && opt_.on_error == "continue");
  }
  // \restrict and \unrestrict guard psql against injected meta-commands in data; the splitter
  // already refuses every meta-command it does not know.
}

// \encoding ENC (pg_dumpall writes it before connecting to a database whose name needs
// quoting): the client encoding of this session and of the next ones.
void PgRestorer::SetClientEncoding(RestoreRun& run, const PgDumpItem& m) {
  const std::string where = Where(run.name(), m.line, m.number, m.offset);
  if (m.args[0].find_first_of("'\\") != std::string::npos) {
    throw Error(ErrorKind::kBadFormat, where + ": '" + m.args[0] + "' is not an encoding name");
  }
  target_.client_encoding = m.args[0];
  const std::string set = "SET client_encoding TO '" + m.args[0] + "'";
  const PgResult r = conn_->Execute(set);
  if (!r.ok) {
    run.ServerError(where + ": \\encoding " + m.args[0] + ": " + r.Describe(), m.number,
                    r.connection_lost, go_on_option());
    return;
  }
  if (loader_) loader_->AddSession(set);
}

// \connect [DBNAME|- [USER|-]]: a new session (psql closes the old one first: a DROP DATABASE of
// it may follow); the loading connections follow once their jobs of this database are done.
void PgRestorer::Reconnect(RestoreRun& run, const PgDumpItem& m) {
  std::vector<std::string> positional;
  for (const auto& a : m.args) {
    if (a.rfind("-reuse-previous", 0) != 0) positional.push_back(a);
  }
  if (loader_) loader_->WaitAll();
  PgTarget next = target_;
  next.dbname = positional.empty() || positional[0] == "-" ? conn_->dbname() : positional[0];
  if (positional.size() > 1 && positional[1] != "-") next.user = positional[1];
  conn_->Close();
  conn_.emplace(PgConnection::Connect(next, run.wait()));
  databases_.push_back(conn_->dbname());
  if (loader_) {
    loader_->NewDatabase(conn_->dbname());
    if (!target_.client_encoding.empty())
      loader_->AddSession("SET client_encoding TO '" + target_.client_encoding + "'");
  }
  log::Info("connected to database '" + conn_->dbname() + "' (" + run.name() + ":" +
                std::to_string(m.line) + ")",
            {{"database", conn_->dbname()}});
}

void PgRestorer::Drain(RestoreRun& run) {
  if (!loader_) return;
  loader_->Finish(run.counts());
}

void PgRestorer::Report(const RestoreCounts& counts, nlohmann::json& r) const {
  r["server_version"] = server_version_;
  r["databases"] = databases_;
  r["copy_blocks"] = copies_;
  r["errors"] = counts.failed;
}

std::string PgRestorer::Summary(const RestoreCounts& counts, nlohmann::json* fields) const {
  const std::set<std::string> distinct(databases_.begin(), databases_.end());
  (*fields)["copy_blocks"] = copies_;
  (*fields)["databases"] = databases_;
  return std::to_string(distinct.size()) + " database" + (distinct.size() == 1 ? "" : "s") + ", " +
         std::to_string(counts.statements) + " statements, " + std::to_string(copies_) +
         " COPY blocks";
}

}  // namespace

int RunRestorePostgres(const RestorePostgresOptions& options) {
  return RunDumpRestoreWith<PgRestorer>(options);
}

}  // namespace ra
