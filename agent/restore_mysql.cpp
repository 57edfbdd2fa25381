#include "agent/restore_mysql.h"

#include <chrono>
#include <map>
#include <memory>
#include <thread>
#include <set>
#include <unordered_map>
#include <vector>

#include "agent/dump_input.h"
#include "agent/dump_scan.h"
#include "agent/error.h"
#include "agent/identity.h"
#include "agent/log.h"
#include "agent/mysql_client.h"
#include "agent/mysql_parallel.h"
#include "agent/once_marker.h"
#include "agent/report.h"
#include "agent/signals.h"
#include "agent/table_tally.h"
#include "protocols/mysql_dump_splitter.h"
#include "protocols/mysql_statement.h"

namespace ra {
namespace {

struct RestoreSummary {
  TableTally tables;

  uint64_t statements = 0;
  uint64_t failed = 0;
  uint64_t tables_created = 0;
  std::set<std::string> views;  // mariadb-dump creates each view twice (placeholder, real)
  uint64_t routines = 0, triggers = 0, events = 0;
  uint64_t rows = 0;
  uint64_t row_mismatches = 0;
};

// mysqldump's `/*!40000 ALTER TABLE t DISABLE KEYS */` and its ENABLE twin.
bool IsKeysToggle(const std::string& sql) {
  std::string upper;
  for (char c : sql) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return upper.find("DISABLE KEYS") != std::string::npos ||
         upper.find("ENABLE KEYS") != std::string::npos;
}

std::string Where(const std::string& name, const SqlStatement& st) {
  return name + ":" + std::to_string(st.line) + " (statement " + std::to_string(st.number) +
         ", byte " + std::to_string(st.offset) + ")";
}

}  // namespace

int RunRestoreMysql(const RestoreMysqlOptions& opt) {
  using Clock = std::chrono::steady_clock;
  const auto started = Clock::now();
  if (opt.create_database && opt.database.empty()) {
    throw Error(ErrorKind::kUsage, "--create-database needs --database");
  }

  MysqlTarget target;
  target.host = opt.host;
  target.port = opt.port;
  target.socket = opt.socket;
  target.user = ResolveUserName(opt.user, nullptr, "--user");
  target.password = ResolvePassword(opt.password, "MYSQL_PWD");

  if (!opt.once_marker.empty() && opt.source == "-") {
    throw Error(ErrorKind::kUsage, "--once-marker needs a backup file, not stdin");
  }
  const std::string once_checksum =
      opt.once_marker.empty() ? std::string() : BackupChecksum(opt.source);
  StreamCounters counters;
  DumpInput input(opt.source, &counters);
  RestoreSummary summary;
  nlohmann::json report = {{"command", "restore-mysql"},
                           {"source", input.name()},
                           {"target", DescribeEndpoint(target)},
                           {"database", opt.database},
                           {"status", "running"}};
  std::string server_version;
  MysqlDumpSplitter splitter;
  std::string current_db = opt.database;

  auto finish_report = [&](const char* status, const Error* error) {
    const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
    report["status"] = status;
    report["server_version"] = server_version;
    report["statements"] = summary.statements;
    report["statements_failed"] = summary.failed;
    report["tables_created"] = summary.tables_created;
    report["views"] = summary.views.size();
    report["routines"] = summary.routines;
    report["triggers"] = summary.triggers;
    report["events"] = summary.events;
    report["rows"] = summary.rows;
    report["input_bytes"] = counters.input_bytes.load();
    report["uncompressed_bytes"] = input.uncompressed_bytes();
    report["seconds"] = seconds;
    report["mb_per_second"] =
        seconds > 0 ? static_cast<double>(input.uncompressed_bytes()) / 1e6 / seconds : 0.0;
    report["dump"] = {{"kind", DumpKindName(input.kind())},
                      {"header", splitter.dump_header()},
                      {"completed", splitter.saw_dump_completed()},
                      {"trailer", splitter.dump_completed_line()}};
    report["tables"] = summary.tables.ToJson(true);
    if (error != nullptr) {
      report["error"] = {{"kind", ErrorKindName(error->kind())}, {"message", error->what()}};
    }
    if (!opt.common.report_path.empty()) WriteReport(opt.common.report_path, report);
    return seconds;
  };

  try {
    // Validate before touching: a seekable backup is read once end to end first (cheap next to
    // the restore); stdin cannot be, and is checked as it streams.
    RequireDumpKind(input.kind(), input.name(), "restore-mysql");
    if (!once_checksum.empty()) {
      std::string when;
      if (MarkerSaysRestored(opt.once_marker, once_checksum, &when)) {
        log::Info("backup '" + input.name() + "' (" + once_checksum + ") was restored already at " +
                      when + " (marker '" + opt.once_marker + "'): nothing to do",
                  {{"marker", opt.once_marker}});
        finish_report("skipped", nullptr);
        return 0;
      }
    }
    if (input.is_regular_file() && !opt.skip_preflight) {
      CheckBackupBeforeRestore(opt.source);
      log::Info(
          "checked '" + input.name() + "' end to end: intact" +
          (input.kind() == DumpKind::kUnknown ? "" : ", complete, nothing to stop the restore"));
    }
    if (input.kind() != DumpKind::kMysqlDump) {
      log::Warn("'" + input.name() + "' does not look like mysqldump output; restoring it as SQL");
    }

    if (opt.create_database) {
      MysqlConnection admin = MysqlConnection::Connect(
          target, std::chrono::milliseconds(static_cast<int64_t>(opt.wait_seconds * 1000)));
      const MysqlResult r = admin.Execute("CREATE DATABASE IF NOT EXISTS " +
                                          MysqlConnection::QuoteIdentifier(opt.database));
      if (!r.ok) {
        throw Error(ErrorKind::kServer, "cannot create database '" + opt.database + "': [" +
                                            std::to_string(r.error_code) + " " + r.sqlstate + "] " +
                                            r.message);
      }
    }
    target.database = opt.database;
    MysqlConnection conn = MysqlConnection::Connect(
        target, std::chrono::milliseconds(static_cast<int64_t>(opt.wait_seconds * 1000)));
    server_version = conn.server_version();
    log::Info("restoring '" + input.name() + "' into " + conn.endpoint() +
                  (opt.database.empty() ? "" : " database '" + opt.database + "'"),
              {{"server_version", server_version}});

    const int jobs = opt.jobs > 0 ? opt.jobs
                                  : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
    std::unique_ptr<MysqlParallelLoader> loader;
    if (jobs > 1) {
      loader = std::make_unique<MysqlParallelLoader>(
          target, jobs, opt.force, input.name(),
          std::chrono::milliseconds(static_cast<int64_t>(opt.wait_seconds * 1000)));
      log::Info("loading with " + std::to_string(jobs) +
                    " connections for INSERTs (--jobs), schema statements in dump order",
                {{"jobs", jobs}});
    }

    input.StartReadAhead();
    ProgressReporter progress(counters, ParseProgressMode(opt.common.progress), "statements");
    SqlStatement st;
    auto apply_ready = [&]() {
      while (splitter.Next(&st)) {
        if (StopRequested()) {
          throw Error(ErrorKind::kInterrupted,
                      "interrupted by signal " + std::to_string(StopSignal()) + " before " +
                          Where(input.name(), st) + "; statements 1 to " +
                          std::to_string(st.number - 1) +
                          " were applied, the database holds a partial restore",
                      StopSignal());
        }
        const StatementInfo info = ClassifyMysqlStatement(st.text);
        if (loader) {
          // Parallel: INSERTs to the workers; everything else here, after the barrier it needs.
          const std::string table = QualifiedName(info, current_db);
          switch (info.kind) {
            case StatementKind::kInsert: {
              TableCount& t = summary.tables.Table(table);
              const uint64_t rows = CountInsertRows(st.text);
              t.rows += rows;
              summary.rows += rows;
              if (!info.plain_insert) t.exact = false;
              ++summary.statements;
              counters.items = summary.statements;
              loader->Submit(std::move(st), info, table);
              continue;
            }
            case StatementKind::kLockTables:
            case StatementKind::kUnlockTables:
              ++summary.statements;  // would lock the loading connections out
              continue;
            case StatementKind::kAlterTable:
              if (IsKeysToggle(st.text)) {  // DISABLE/ENABLE KEYS: a no-op for InnoDB
                ++summary.statements;
                continue;
              }
              loader->WaitTable(table);
              break;
            case StatementKind::kCreateTable:
            case StatementKind::kDropTable:
              loader->WaitTable(table);
              break;
            case StatementKind::kSet:
            case StatementKind::kUse:
              break;  // replayed on the workers below
            default:
              loader->WaitAll();  // views, routines, triggers, events, other DDL
              break;
          }
        }
        const MysqlResult r = conn.Execute(st.text);
        ++summary.statements;
        counters.items = summary.statements;
        if (loader && r.ok &&
            (info.kind == StatementKind::kSet || info.kind == StatementKind::kUse))
          loader->AddSessionStatement(st.text);
        if (!r.ok) {
          const std::string message = Where(input.name(), st) + ": [" +
                                      std::to_string(r.error_code) + " " + r.sqlstate + "] " +
                                      r.message + " (in " + DescribeStatement(info) + ")";
          if (r.connection_lost()) {
            throw Error(ErrorKind::kServer, message + "; statements 1 to " +
                                                std::to_string(st.number - 1) + " were applied");
          }
          ++summary.failed;
          if (!opt.force) {
            throw Error(ErrorKind::kServer, message + "; statements 1 to " +
                                                std::to_string(st.number - 1) +
                                                " were applied (--force goes on after errors)");
          }
          log::Error(message);
          continue;
        }
        const std::string qualified = QualifiedName(info, current_db);
        switch (info.kind) {
          case StatementKind::kUse:
            current_db = info.schema;
            break;
          case StatementKind::kCreateTable:
            summary.tables.Table(qualified).created = true;
            ++summary.tables_created;
            break;
          case StatementKind::kInsert: {
            TableCount& t = summary.tables.Table(qualified);
            const uint64_t rows = CountInsertRows(st.text);
            t.rows += rows;
            t.server_rows += r.affected_rows;
            summary.rows += rows;
            // REPLACE and INSERT IGNORE report other counts by design.
            if (!info.plain_insert) t.exact = false;
            break;
          }
          case StatementKind::kCreateView:
            summary.views.insert(qualified);
            break;
          case StatementKind::kCreateRoutine:
            ++summary.routines;
            break;
          case StatementKind::kCreateTrigger:
            ++summary.triggers;
            break;
          case StatementKind::kCreateEvent:
            ++summary.events;
            break;
          default:
            break;
        }
      }
    };

    for (;;) {
      const std::string_view chunk = input.NextChunk();
      if (chunk.empty()) break;
      const SplitStatus status = splitter.Feed(chunk);
      apply_ready();
      if (!status.ok()) {
        throw Error(ErrorKind::kBadFormat, input.name() + ":" + std::to_string(status.error.line) +
                                               " (byte " + std::to_string(status.error.offset) +
                                               "): " + status.error.message);
      }
    }
    const SplitStatus status = splitter.Finish();
    apply_ready();
    if (loader) {
      loader->Finish();
      for (const auto& [table, rows] : loader->ServerRows()) summary.tables.Table(table).server_rows += rows;
      summary.failed += loader->failed();
    }
    if (!status.ok()) {
      throw Error(ErrorKind::kCorrupt, input.name() + ":" + std::to_string(status.error.line) +
                                           " (byte " + std::to_string(status.error.offset) + "): " +
                                           status.error.message + "; the dump is cut short");
    }
    progress.Stop();

    if (input.kind() == DumpKind::kMysqlDump && !splitter.saw_dump_completed()) {
      throw Error(ErrorKind::kIncomplete,
                  "'" + input.name() + "' ended without the '-- Dump completed' trailer after " +
                      std::to_string(summary.statements) +
                      " statements: the backup is incomplete and so is the restore");
    }
    for (const TableCount& t : summary.tables.tables()) {
      if (t.exact && t.rows != t.server_rows) {
        ++summary.row_mismatches;
        log::Warn("table '" + t.name + "': the dump holds " + std::to_string(t.rows) +
                  " rows but the server reported " + std::to_string(t.server_rows) + " inserted");
      }
    }
    if (summary.failed > 0) {
      throw Error(ErrorKind::kServer, std::to_string(summary.failed) + " of " +
                                          std::to_string(summary.statements) +
                                          " statements failed (--force went on)");
    }
  } catch (const Error& e) {
    finish_report("failed", &e);
    throw;
  }

  const double seconds = finish_report("ok", nullptr);
  if (!once_checksum.empty()) WriteMarker(opt.once_marker, once_checksum, input.name());
  char rate[64];
  std::snprintf(
      rate, sizeof rate, "%.2f s, %.1f MB/s", seconds,
      seconds > 0 ? static_cast<double>(input.uncompressed_bytes()) / 1e6 / seconds : 0.0);
  log::Info("restored '" + input.name() + "': " + std::to_string(summary.statements) +
                " statements, " + std::to_string(summary.tables_created) + " tables created, " +
                std::to_string(summary.rows) + " rows, " + FormatBytes(counters.input_bytes) +
                " read (" + FormatBytes(input.uncompressed_bytes()) + " uncompressed) in " + rate,
            {{"statements", summary.statements},
             {"tables_created", summary.tables_created},
             {"rows", summary.rows},
             {"views", summary.views.size()},
             {"routines", summary.routines},
             {"triggers", summary.triggers},
             {"events", summary.events}});
  for (const TableCount& t : summary.tables.tables()) {
    log::Info("  table " + t.name + ": " + std::to_string(t.rows) + " rows",
              {{"table", t.name}, {"rows", t.rows}});
  }
  return 0;
}

}  // namespace ra
