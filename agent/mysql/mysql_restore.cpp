#include "agent/mysql/mysql_restore.h"

#include <map>
#include <memory>
#include <set>

#include "agent/core/dump_objects.h"
#include "agent/core/error.h"
#include "agent/core/identity.h"
#include "agent/core/log.h"
#include "agent/core/signals.h"
#include "agent/mysql/index_deferral.h"
#include "agent/mysql/mysql_client.h"
#include "agent/mysql/mysql_loader.h"
#include "agent/mysql/mysql_route.h"
#include "protocols/mysql_dump_splitter.h"
#include "protocols/mysql_statement.h"
#include "protocols/mysql_table.h"

namespace ra {
namespace {

std::string ServerSaid(const MysqlResult& r) {
  return "[" + std::to_string(r.error_code) + " " + r.sqlstate + "] " + r.message;
}

class MysqlRestorer final : public SplittingRestorer<MysqlDumpSplitter> {
 public:
  explicit MysqlRestorer(const RestoreMysqlOptions& opt)
      : SplittingRestorer("restore-mysql", "mysqldump", "--force"),
        opt_(opt),
        current_db_(opt.database) {
    if (opt.create_database && opt.database.empty()) {
      throw Error(ErrorKind::kUsage, "--create-database needs --database");
    }
    target_.host = opt.host;
    target_.port = opt.port;
    target_.socket = opt.socket;
    target_.user = ResolveUserName(opt.user, nullptr, "--user");
    target_.password = ResolvePassword(opt.password, "MYSQL_PWD");
  }

  ~MysqlRestorer() override {
    loader_.reset();
    PutBackLocalInfile();
  }

  void Connect(RestoreRun& run) override;
  void ApplyReady(RestoreRun& run) override;
  void Drain(RestoreRun& run) override;
  void Report(const RestoreCounts& counts, nlohmann::json& r) const override;
  std::string Summary(const RestoreCounts& counts, nlohmann::json* fields) const override;

 private:
  void CreateDatabase(RestoreRun& run);
  void Apply(RestoreRun& run, SqlStatement& st);
  void RunOnMain(RestoreRun& run, const SqlStatement& st, const StatementInfo& info,
                 const Route& route, const std::string& table);
  void Note(const StatementInfo& info, const std::string& table, RestoreRun& run);
  void SubmitInsert(RestoreRun& run, SqlStatement& st, const StatementInfo& info,
                    const std::string& table);
  std::string PrepareCreate(RestoreRun& run, const SqlStatement& st, const StatementInfo& info,
                            const std::string& table);
  bool LocalInfileUsable();
  void PutBackLocalInfile() noexcept;

  const RestoreMysqlOptions& opt_;
  MysqlTarget target_;
  std::optional<MysqlConnection> conn_;
  std::unique_ptr<MysqlLoader> loader_;
  std::string server_version_;
  std::string current_db_;
  DumpObjects objects_;
  // The loading connections' state (--jobs > 1).
  std::map<std::string, std::shared_ptr<const MysqlTableShape>> shapes_;  // per table created
  std::optional<IndexDeferral> deferral_;
  std::string current_table_;  // whose rows may still come
  uint64_t last_seq_ = 0;
  std::string local_infile_ = "not used";  // for the report
  bool put_back_local_infile_ = false;
  MysqlLoadStats load_stats_;
};

void MysqlRestorer::CreateDatabase(RestoreRun& run) {
  MysqlConnection admin = MysqlConnection::Connect(target_, run.wait());
  const MysqlResult r = admin.Execute("CREATE DATABASE IF NOT EXISTS " +
                                      MysqlConnection::QuoteIdentifier(opt_.database));
  if (!r.ok) {
    throw Error(ErrorKind::kServer,
                "cannot create database '" + opt_.database + "': " + ServerSaid(r));
  }
}

void MysqlRestorer::Connect(RestoreRun& run) {
  if (opt_.create_database) CreateDatabase(run);
  target_.database = opt_.database;
  conn_.emplace(MysqlConnection::Connect(target_, run.wait()));
  server_version_ = conn_->server_version();
  run.set_go_on(opt_.force);
  log::Info("restoring '" + run.name() + "' into " + conn_->endpoint() +
                (opt_.database.empty() ? "" : " database '" + opt_.database + "'"),
            {{"server_version", server_version_}});
  const int jobs = run.jobs();
  if (jobs <= 1) return;
  const bool load_data = opt_.load_data && LocalInfileUsable();
  loader_ = std::make_unique<MysqlLoader>(target_, jobs, opt_.force, load_data, run.wait());
  if (opt_.defer_indexes) {
    deferral_.emplace([this](const std::string& sql, const std::string& what) {
      const MysqlResult r = conn_->Execute(sql);
      if (!r.ok)
        throw Error(ErrorKind::kServer, what + ": " + ServerSaid(r) + " (in " + sql.substr(0, 200) +
                                            ", the main connection); the table's rows are loaded");
    });
  }
  log::Info("loading with " + std::to_string(jobs) + " connections for INSERTs (--jobs)" +
                (load_data ? " as LOAD DATA rows" : "") +
                (opt_.defer_indexes ? ", secondary indexes after the data" : "") +
                ", schema statements in dump order",
            {{"jobs", jobs}, {"load_data", load_data}, {"defer_indexes", opt_.defer_indexes}});
}

// The server's local_infile, which LOAD DATA LOCAL needs: ON (MariaDB's default), or turned on
// for the restore where this user may (MySQL 8 ships it OFF; root may set it).
bool MysqlRestorer::LocalInfileUsable() {
  std::vector<std::string> row;
  MysqlResult r = conn_->QueryRow("SELECT @@GLOBAL.local_infile", &row);
  if (r.ok && !row.empty() && row[0] == "1") {
    local_infile_ = "on";
    return true;
  }
  r = conn_->Execute("SET GLOBAL local_infile = 1");
  if (r.ok) {
    put_back_local_infile_ = true;
    local_infile_ = "turned on for the restore";
    log::Info(
        "turned the server's local_infile ON for the restore (LOAD DATA LOCAL); it is put "
        "back to OFF at the end");
    return true;
  }
  local_infile_ = "off";
  log::Warn("the server has local_infile=OFF and '" + target_.user + "' may not turn it on (" +
            ServerSaid(r) +
            "): loading INSERT statements, which is slower. To load rows with "
            "LOAD DATA, run SET GLOBAL local_infile = ON as an administrator before the restore "
            "(and OFF after), or use a user with SYSTEM_VARIABLES_ADMIN; --no-load-data goes "
            "without it and without this warning");
  return false;
}

// Also after an error or an interrupt (the destructor): local_infile goes back to OFF.
void MysqlRestorer::PutBackLocalInfile() noexcept {
  if (!put_back_local_infile_) return;
  put_back_local_infile_ = false;
  try {
    if (conn_ && conn_->Execute("SET GLOBAL local_infile = 0").ok) {
      log::Info("put the server's local_infile back to OFF");
      return;
    }
    MysqlConnection admin = MysqlConnection::Connect(target_, std::chrono::seconds(5));
    if (admin.Execute("SET GLOBAL local_infile = 0").ok) {
      log::Info("put the server's local_infile back to OFF");
      return;
    }
  } catch (const std::exception&) {
  }
  log::Error(
      "could not put the server's local_infile back to OFF: run SET GLOBAL local_infile = "
      "OFF as an administrator");
}

void MysqlRestorer::ApplyReady(RestoreRun& run) {
  SqlStatement st;
  while (splitter_.Next(&st)) {
    if (loader_ && StopRequested()) loader_->WaitAll();  // so that what CheckStop says holds
    run.CheckStop(Where(run.name(), st.line, st.number, st.offset), st.number - 1,
                  "the database holds a partial restore");
    Apply(run, st);
  }
}

void MysqlRestorer::Apply(RestoreRun& run, SqlStatement& st) {
  const StatementInfo info = ClassifyMysqlStatement(st.text);
  const std::string table = QualifiedName(info, current_db_);
  const Route route = MysqlRoute(info, table, loader_ != nullptr);
  run.CountStatement();
  run.Phase(info.kind == StatementKind::kInsert ? "data" : "schema");
  last_seq_ = st.number;
  if (route.target == Route::Target::kSkip) return;
  if (route.target == Route::Target::kWorker || info.kind == StatementKind::kCreateTable)
    current_table_ = table;
  if (deferral_) deferral_->QueueReady(*loader_, current_table_, st.number);
  if (route.target == Route::Target::kWorker) return SubmitInsert(run, st, info, table);
  if (route.barrier == Route::Barrier::kKey) {
    if (deferral_) deferral_->Flush(*loader_, route.wait_for, st.number);
    loader_->Wait(route.wait_for);
  }
  if (route.barrier == Route::Barrier::kAll) loader_->WaitAll();
  RunOnMain(run, st, info, route, table);
}

void MysqlRestorer::SubmitInsert(RestoreRun& run, SqlStatement& st, const StatementInfo& info,
                                 const std::string& table) {
  TableCount& t = run.counts().tables.Table(table);
  t.rows += CountInsertRows(st.text);
  if (!info.plain_insert) t.exact = false;  // REPLACE and INSERT IGNORE count otherwise
  MysqlJob job;
  job.seq = st.number;
  job.key = table;
  job.sql = std::move(st.text);
  job.where = Where(run.name(), st.line, st.number, st.offset);
  job.what = DescribeStatement(info);
  const auto shape = shapes_.find(table);
  if (shape != shapes_.end()) job.shape = shape->second;
  loader_->Submit(std::move(job));
}

// With the loading connections: the table's shape, for LOAD DATA; the CREATE without its
// secondary indexes where they are deferred.
std::string MysqlRestorer::PrepareCreate(RestoreRun& run, const SqlStatement& st,
                                         const StatementInfo& info, const std::string& table) {
  auto shape = std::make_shared<MysqlTableShape>();
  std::string why;
  if (!ParseMysqlCreateTable(st.text, shape.get(), &why)) {
    shapes_.erase(table);
    return st.text;
  }
  shapes_[table] = shape;
  if (!deferral_) return st.text;
  std::vector<std::string> row;
  const bool fk_off = conn_->QueryRow("SELECT @@SESSION.foreign_key_checks", &row).ok &&
                      !row.empty() && row[0] == "0";
  // The name as the CREATE writes it (the classifier upper-cases unquoted names), qualified
  // with the current database: the ALTERs run later, maybe after another USE.
  const std::string quoted =
      !info.schema.empty() || current_db_.empty()
          ? shape->name
          : MysqlConnection::QuoteIdentifier(current_db_) + "." + shape->name;
  return deferral_->Create(table, quoted, st.text, *shape, fk_off,
                           Where(run.name(), st.line, st.number, st.offset));
}

void MysqlRestorer::RunOnMain(RestoreRun& run, const SqlStatement& st, const StatementInfo& info,
                              const Route& route, const std::string& table) {
  std::string prepared;
  std::string_view sql = st.text;
  if (loader_ && info.kind == StatementKind::kCreateTable) {
    prepared = PrepareCreate(run, st, info, table);
    sql = prepared;
  }
  if (loader_ && info.kind == StatementKind::kDropTable) shapes_.erase(table);
  const MysqlResult r = conn_->Execute(sql);
  if (!r.ok) {
    run.ServerError(Where(run.name(), st.line, st.number, st.offset) + ": " + ServerSaid(r) +
                        " (in " + DescribeStatement(info) + ")",
                    st.number - 1, r.connection_lost(), go_on_option());
    return;
  }
  if (route.session && loader_) loader_->AddSession(st.text);
  if (info.kind == StatementKind::kInsert) {
    TableCount& t = run.counts().tables.Table(table);
    t.rows += CountInsertRows(st.text);
    t.server_rows += r.affected_rows;
    if (!info.plain_insert) t.exact = false;  // REPLACE and INSERT IGNORE count otherwise
  }
  Note(info, table, run);
}

// What the summary counts of a statement that ran.
void MysqlRestorer::Note(const StatementInfo& info, const std::string& table, RestoreRun& run) {
  if (info.kind == StatementKind::kUse) current_db_ = info.schema;
  if (info.kind == StatementKind::kCreateTable) run.counts().tables.Table(table).created = true;
  objects_.Count(info, table);
}

void MysqlRestorer::Drain(RestoreRun& run) {
  if (!loader_) return;
  if (deferral_) deferral_->Finish(*loader_, last_seq_ + 1);
  loader_->Finish(run.counts());
  load_stats_ = loader_->stats();
}

void MysqlRestorer::Report(const RestoreCounts& counts, nlohmann::json& r) const {
  r["target"] = DescribeEndpoint(target_);
  r["database"] = opt_.database;
  r["server_version"] = server_version_;
  r["statements_failed"] = counts.failed;
  r["tables_created"] = objects_.tables;
  r["views"] = objects_.views.size();
  r["routines"] = objects_.routines;
  r["triggers"] = objects_.triggers;
  r["events"] = objects_.events;
  r["dump"] = {{"header", splitter_.dump_header()}, {"completed", splitter_.saw_dump_completed()}};
  if (!loader_) return;
  r["load_data"] = {{"local_infile", local_infile_},
                    {"inserts_as_rows", load_stats_.load_data},
                    {"inserts_as_sql", load_stats_.as_sql},
                    {"rolled_back_to_sql", load_stats_.rolled_back}};
  if (deferral_)
    r["deferred_indexes"] = {{"tables", deferral_->tables()}, {"indexes", deferral_->indexes()}};
}

std::string MysqlRestorer::Summary(const RestoreCounts& counts, nlohmann::json* fields) const {
  (*fields)["tables_created"] = objects_.tables;
  (*fields)["views"] = objects_.views.size();
  (*fields)["routines"] = objects_.routines;
  (*fields)["triggers"] = objects_.triggers;
  (*fields)["events"] = objects_.events;
  return std::to_string(counts.statements) + " statements, " + std::to_string(objects_.tables) +
         " tables created";
}

}  // namespace

int RunRestoreMysql(const RestoreMysqlOptions& options) {
  return RunDumpRestoreWith<MysqlRestorer>(options);
}

}  // namespace ra
