#include "agent/mysql/mysql_restore.h"

#include <memory>
#include <set>

#include "agent/core/dump_objects.h"
#include "agent/core/error.h"
#include "agent/core/identity.h"
#include "agent/core/log.h"
#include "agent/mysql/mysql_client.h"
#include "agent/mysql/mysql_loader.h"
#include "agent/mysql/mysql_route.h"
#include "protocols/mysql_dump_splitter.h"
#include "protocols/mysql_statement.h"

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

  const RestoreMysqlOptions& opt_;
  MysqlTarget target_;
  std::optional<MysqlConnection> conn_;
  std::unique_ptr<MysqlLoader> loader_;
  std::string server_version_;
  std::string current_db_;
  DumpObjects objects_;
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
  loader_ = std::make_unique<MysqlLoader>(target_, jobs, opt_.force, run.wait());
  log::Info("loading with " + std::to_string(jobs) +
                " connections for INSERTs (--jobs), schema statements in dump order",
            {{"jobs", jobs}});
}

void MysqlRestorer::ApplyReady(RestoreRun& run) {
  SqlStatement st;
  while (splitter_.Next(&st)) {
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
  if (route.target == Route::Target::kSkip) return;
  if (route.target == Route::Target::kWorker) {
    TableCount& t = run.counts().tables.Table(table);
    t.rows += CountInsertRows(st.text);
    if (!info.plain_insert) t.exact = false;  // REPLACE and INSERT IGNORE count otherwise
    loader_->Submit(MysqlJob{st.number, route.job_key, std::move(st.text),
                             Where(run.name(), st.line, st.number, st.offset),
                             DescribeStatement(info), nullptr});
    return;
  }
  if (route.barrier == Route::Barrier::kKey) loader_->Wait(route.wait_for);
  if (route.barrier == Route::Barrier::kAll) loader_->WaitAll();
  RunOnMain(run, st, info, route, table);
}

void MysqlRestorer::RunOnMain(RestoreRun& run, const SqlStatement& st, const StatementInfo& info,
                              const Route& route, const std::string& table) {
  const MysqlResult r = conn_->Execute(st.text);
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
  loader_->Finish(run.counts());
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
