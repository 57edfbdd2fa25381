#include "agent/restore_postgres.h"

#include <chrono>
#include <memory>
#include <thread>
#include <set>

#include "agent/dump_input.h"
#include "agent/dump_scan.h"
#include "agent/error.h"
#include "agent/identity.h"
#include "agent/log.h"
#include "agent/once_marker.h"
#include "agent/pg_client.h"
#include "agent/pg_parallel.h"
#include "agent/source.h"
#include "agent/report.h"
#include "agent/signals.h"
#include "agent/table_tally.h"
#include "protocols/pg_dump_splitter.h"
#include "protocols/pg_statement.h"

namespace ra {
namespace {

// SQLSTATEs of the errors that pg_dumpall -c --if-exists output always produces on a live
// server, and that psql users learn to ignore.
constexpr const char* kObjectInUse =
    "55006";  // DROP ROLE of the connected role; busy DROP DATABASE
constexpr const char* kDuplicateObject = "42710";  // CREATE ROLE of a role that exists

std::string Where(const std::string& name, uint64_t line, uint64_t number, uint64_t offset) {
  return name + ":" + std::to_string(line) + " (statement " + std::to_string(number) + ", byte " +
         std::to_string(offset) + ")";
}

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

std::string BusyDatabaseMessage(const std::string& db, size_t sessions, const std::string& who,
                                const std::string& server_said) {
  std::string out = "cannot drop database '" + db + "': " + std::to_string(sessions) +
                    " other session" + (sessions == 1 ? " is" : "s are") +
                    " connected to it. Its clients (for zync_production: the zync and zync-que "
                    "deployments) must be scaled to zero before the restore. Connected now "
                    "(pg_stat_activity): " +
                    (who.empty() ? "none any more, retry" : who) + ".";
  if (!server_said.empty()) out += " Server said: " + server_said;
  return out;
}

// COPY blocks of at least this many rows are split over the loading connections.
constexpr uint64_t kSplitCopyRows = 200000;

}  // namespace

int RunRestorePostgres(const RestorePostgresOptions& opt) {
  using Clock = std::chrono::steady_clock;
  const auto started = Clock::now();
  const bool stop_on_error_default = opt.on_error != "continue";
  bool stop_on_error = stop_on_error_default;
  const auto wait = std::chrono::milliseconds(static_cast<int64_t>(opt.wait_seconds * 1000));

  PgTarget target;
  target.host = opt.host;
  target.port = opt.port;
  // libpq would ask getpwuid(), which fails for an arbitrary OpenShift uid in a static binary.
  target.user = ResolveUserName(opt.user, "PGUSER", "--username");
  target.dbname = opt.dbname;
  target.password = ResolvePassword(opt.password, nullptr);  // PGPASSWORD is libpq's own

  if (!opt.once_marker.empty() && opt.source == "-") {
    throw Error(ErrorKind::kUsage, "--once-marker needs a backup file, not stdin");
  }
  const std::string once_checksum =
      opt.once_marker.empty() ? std::string() : BackupChecksum(opt.source);
  StreamCounters counters;
  DumpInput input(opt.source, &counters);
  PgDumpSplitter splitter;
  TableTally tables;
  std::vector<std::string> databases;
  uint64_t statements = 0, copies = 0, errors = 0, warnings = 0;
  std::string server;
  nlohmann::json report = {{"command", "restore-postgres"}, {"source", input.name()}};

  auto finish_report = [&](const char* status, const Error* error) {
    const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
    report["status"] = status;
    report["server_version"] = server;
    report["databases"] = databases;
    report["statements"] = statements;
    report["copy_blocks"] = copies;
    report["rows"] = tables.total_rows();
    report["errors"] = errors;
    report["warnings"] = warnings;
    report["tables"] = tables.ToJson(true);
    report["input_bytes"] = counters.input_bytes.load();
    report["uncompressed_bytes"] = input.uncompressed_bytes();
    report["seconds"] = seconds;
    report["mb_per_second"] =
        seconds > 0 ? static_cast<double>(input.uncompressed_bytes()) / 1e6 / seconds : 0.0;
    report["dump"] = {{"kind", DumpKindName(input.kind())},
                      {"trailer", std::string(FindCompletionTrailer(input.kind(), input.tail()))}};
    if (error != nullptr) {
      report["error"] = {{"kind", ErrorKindName(error->kind())}, {"message", error->what()}};
    }
    if (!opt.common.report_path.empty()) WriteReport(opt.common.report_path, report);
    return seconds;
  };

  try {
    RequireDumpKind(input.kind(), input.name(), "restore-postgres");
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
    DumpCensus census;
    if (input.is_regular_file() && !opt.skip_preflight) {
      CheckBackupBeforeRestore(opt.source, &census);
      log::Info(
          "checked '" + input.name() + "' end to end: intact" +
          (input.kind() == DumpKind::kUnknown ? "" : ", complete, nothing to stop the restore"));
    }
    if (input.kind() == DumpKind::kUnknown) {
      log::Warn("'" + input.name() + "' does not look like pg_dump output; restoring it as SQL");
    }

    PgConnection conn = PgConnection::Connect(target, wait);
    server = std::to_string(conn.server_version());
    databases.push_back(conn.dbname());
    log::Info("restoring '" + input.name() + "' into " + conn.endpoint(),
              {{"server_version", conn.server_version()}});

    // Every database the dump drops must be free of other sessions before the first DROP: a
    // pg_dumpall drops them one after the other, and stopping at the second would leave the
    // first one gone.
    for (const std::string& db : census.dropped_databases()) {
      size_t sessions = 0;
      const std::string who = DescribeSessions(conn, db, &sessions);
      if (sessions > 0) {
        throw Error(ErrorKind::kServer,
                    BusyDatabaseMessage(db, sessions, who, "") + " Nothing was restored.");
      }
    }

    const int jobs = opt.jobs > 0 ? opt.jobs
                                  : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
    std::unique_ptr<PgParallelLoader> loader;
    std::set<std::string> loaded;  // tables that received rows since this restore created them
    if (jobs > 1 && input.is_regular_file()) {
      // Each worker reads the file through its own reader up to the COPY blocks it loads.
      loader = std::make_unique<PgParallelLoader>(ReopenPath(opt.source),
                                                  target, jobs, stop_on_error_default, wait);
      loader->Connected(conn.dbname());
      log::Info("loading COPY blocks and indexes with " + std::to_string(jobs) +
                    " connections (--jobs); everything else in dump order",
                {{"jobs", jobs}});
    } else if (jobs > 1) {
      log::Info("the backup is a stream (stdin): loading on one connection (--jobs needs a file)");
    }

    input.StartReadAhead();
    ProgressReporter progress(counters, ParseProgressMode(opt.common.progress), "statements");
    PgDumpItem item;
    bool copy_open = false;    // the server is in COPY IN for the current block
    bool copy_failed = false;  // the COPY statement failed: skip its data
    uint64_t copy_line = 0, copy_offset = 0;
    StatementInfo copy_info;

    auto fail_or_count = [&](const std::string& message, bool fatal) {
      ++errors;
      if (fatal || stop_on_error) {
        throw Error(ErrorKind::kServer,
                    message + (fatal || !stop_on_error_default
                                   ? ""
                                   : " (--on-error continue goes on after errors, as psql -f)"));
      }
      log::Error(message);
    };

    auto apply_statement = [&](const PgDumpItem& st) {
      const StatementInfo info = ClassifyPgStatement(st.text);
      const std::string where = Where(input.name(), st.line, st.number, st.offset);
      ++statements;
      counters.items = statements;
      if (loader) {
        const size_t p = st.text.find_first_not_of(" \t\r\n");
        const std::string_view head =
            p == std::string::npos ? std::string_view() : std::string_view(st.text).substr(p, 40);
        if (info.kind == StatementKind::kCopyFromStdin) {
          ++copies;
          copy_info = info;
          copy_open = false;
          const std::string name = conn.dbname() + "." + QualifiedName(info, "");
          // TRUNCATE first (no WAL at wal_level=minimal) only when this restore created the
          // table and nothing has been loaded into it since.
          const bool fresh = tables.Table(name).created && loaded.insert(name).second;
          // A large table this restore created is split over the connections by line groups
          // (the preflight's census knows its rows): it would otherwise be the critical path.
          const uint64_t rows = census.Rows(name);
          const int parts = fresh && rows >= kSplitCopyRows ? jobs : 1;
          if (parts > 1)
            log::Info("loading " + name + " (" + std::to_string(rows) +
                          " rows) over " + std::to_string(parts) + " connections",
                      {{"table", name}, {"parts", parts}});
          loader->SubmitCopy(copies, st.offset, st.text, name, fresh, where, parts);
          return;
        }
        if (info.kind == StatementKind::kInsert) loaded.insert(conn.dbname() + "." + QualifiedName(info, ""));
        if (info.kind == StatementKind::kCreateTable) loaded.erase(conn.dbname() + "." + QualifiedName(info, ""));
        const bool session = info.kind == StatementKind::kSet ||
                             head.rfind("SELECT pg_catalog.set_config(", 0) == 0;
        if (session) {
          const PgResult r = conn.Execute(st.text);
          if (r.ok) {
            loader->AddSessionStatement(st.text);
            return;
          }
          fail_or_count(where + ": " + r.Describe() + " (in " + DescribeStatement(info) + ")",
                        r.connection_lost);
          return;
        }
        if (const std::string table = PgParallelTarget(st.text); !table.empty()) {
          loader->SubmitStatement(st.text, table, where);  // an index or a non-FK constraint
          return;
        }
        if (head.rfind("SELECT pg_catalog.setval(", 0) != 0) loader->WaitAll();
      }
      if (info.kind == StatementKind::kCopyFromStdin) {
        ++copies;
        copy_info = info;
        copy_line = st.line;
        copy_offset = st.offset;
        const PgResult r = conn.BeginCopy(st.text);
        copy_open = r.ok;
        copy_failed = !r.ok;
        if (!r.ok) {
          fail_or_count(where + ": " + r.Describe() + " (in " + DescribeStatement(info) + ")",
                        r.connection_lost);
        }
        return;
      }
      const PgResult r = conn.Execute(st.text);
      if (r.ok) {
        if (info.kind == StatementKind::kCreateTable) {
          tables.Table(conn.dbname() + "." + QualifiedName(info, "")).created = true;
        }
        return;
      }
      if (info.kind == StatementKind::kDropRole && r.sqlstate == kObjectInUse &&
          info.object == conn.user()) {
        ++warnings;
        log::Warn(where + ": role '" + info.object +
                  "' is the one the restore is connected as and cannot be dropped; going on (" +
                  "pg_dumpall -c output always tries)");
        return;
      }
      if (info.kind == StatementKind::kCreateRole && r.sqlstate == kDuplicateObject) {
        ++warnings;
        log::Warn(where + ": role '" + info.object +
                  "' exists already; going on (the ALTER ROLE that follows sets its attributes)");
        return;
      }
      if (info.kind == StatementKind::kDropDatabase && r.sqlstate == kObjectInUse) {
        // Going on would load the backup on top of the live database: always stop.
        size_t sessions = 0;
        const std::string who = DescribeSessions(conn, info.schema, &sessions);
        fail_or_count(where + ": " + BusyDatabaseMessage(info.schema, sessions, who, r.Describe()),
                      true);
        return;
      }
      fail_or_count(where + ": " + r.Describe() + " (in " + DescribeStatement(info) + ")",
                    r.connection_lost);
    };

    auto apply_meta = [&](const PgDumpItem& m) {
      if (m.command == "connect") {
        std::vector<std::string> positional;
        for (const auto& a : m.args) {
          if (a.rfind("-reuse-previous", 0) != 0) positional.push_back(a);
        }
        if (loader) loader->WaitAll();  // the workers' jobs belong to this database
        PgTarget next = target;
        next.dbname = positional.empty() || positional[0] == "-" ? conn.dbname() : positional[0];
        if (positional.size() > 1 && positional[1] != "-") next.user = positional[1];
        conn.Close();
        conn = PgConnection::Connect(next, wait);
        databases.push_back(conn.dbname());
        if (loader) loader->Connected(conn.dbname());
        log::Info("connected to database '" + conn.dbname() + "' (" + input.name() + ":" +
                      std::to_string(m.line) + ")",
                  {{"database", conn.dbname()}});
      } else if (m.command == "set") {
        if (m.args.size() >= 2 && m.args[0] == "ON_ERROR_STOP") {
          const std::string& v = m.args[1];
          stop_on_error = v == "on" || v == "1" || v == "true" || v == "ON";
          if (!stop_on_error) stop_on_error = stop_on_error_default;
        }
      }
      // \restrict and \unrestrict guard psql against injected meta-commands in data; the
      // splitter already refuses every meta-command it does not know.
    };

    auto apply_ready = [&]() {
      while (splitter.Next(&item)) {
        if (StopRequested()) {
          if (copy_open) conn.EndCopy("restore interrupted");
          throw Error(ErrorKind::kInterrupted,
                      "interrupted by signal " + std::to_string(StopSignal()) + " at " +
                          Where(input.name(), item.line, item.number, item.offset) +
                          " in database '" + conn.dbname() + "'; statements 1 to " +
                          std::to_string(statements) +
                          " were applied, the cluster holds a partial restore",
                      StopSignal());
        }
        switch (item.type) {
          case PgDumpItem::Type::kStatement:
            apply_statement(item);
            break;
          case PgDumpItem::Type::kCopyData:
            if (copy_open && !conn.PutCopyData(item.text)) {
              throw Error(ErrorKind::kServer,
                          Where(input.name(), item.line, item.number, item.offset) +
                              ": sending COPY data failed: " + conn.EndCopy().primary);
            }
            break;
          case PgDumpItem::Type::kCopyEnd: {
            if (loader) {  // a worker loads this block: count the dump's rows here
              tables.Table(conn.dbname() + "." + QualifiedName(copy_info, "")).rows += item.rows;
              break;
            }
            if (!copy_open) break;
            copy_open = false;
            const PgResult r = conn.EndCopy();
            const std::string name = conn.dbname() + "." + QualifiedName(copy_info, "");
            if (!r.ok) {
              fail_or_count(Where(input.name(), copy_line, item.number, copy_offset) + ": " +
                                r.Describe() + " (in " + DescribeStatement(copy_info) + ")",
                            r.connection_lost);
              break;
            }
            TableCount& t = tables.Table(name);
            t.rows += item.rows;
            t.server_rows += r.rows;
            break;
          }
          case PgDumpItem::Type::kMetaCommand:
            apply_meta(item);
            break;
        }
        (void)copy_failed;
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
      for (const auto& [name, rows] : loader->ServerRows()) tables.Table(name).server_rows += rows;
      errors += loader->errors();
    }
    if (!status.ok()) {
      throw Error(ErrorKind::kCorrupt, input.name() + ":" + std::to_string(status.error.line) +
                                           " (byte " + std::to_string(status.error.offset) + "): " +
                                           status.error.message + "; the dump is cut short");
    }
    progress.Stop();

    const DumpKind kind = input.kind();
    if ((kind == DumpKind::kPostgresDump || kind == DumpKind::kPostgresClusterDump) &&
        FindCompletionTrailer(kind, input.tail()).empty()) {
      throw Error(ErrorKind::kIncomplete,
                  "'" + input.name() + "' ended without its completion trailer after " +
                      std::to_string(statements) +
                      " statements: the backup is incomplete and so is the restore");
    }
    for (const TableCount& t : tables.tables()) {
      if (t.rows != t.server_rows) {
        ++warnings;
        log::Warn("table '" + t.name + "': the dump holds " + std::to_string(t.rows) +
                  " rows but the server copied " + std::to_string(t.server_rows));
      }
    }
    if (errors > 0) {
      throw Error(ErrorKind::kServer, std::to_string(errors) + " of " + std::to_string(statements) +
                                          " statements failed (--on-error continue went on)");
    }
  } catch (const Error& e) {
    finish_report("failed", &e);
    throw;
  }

  const double seconds = finish_report("ok", nullptr);
  if (!once_checksum.empty()) WriteMarker(opt.once_marker, once_checksum, input.name());
  std::set<std::string> distinct(databases.begin(), databases.end());
  char rate[64];
  std::snprintf(
      rate, sizeof rate, "%.2f s, %.1f MB/s", seconds,
      seconds > 0 ? static_cast<double>(input.uncompressed_bytes()) / 1e6 / seconds : 0.0);
  log::Info("restored '" + input.name() + "': " + std::to_string(distinct.size()) + " database" +
                (distinct.size() == 1 ? "" : "s") + ", " + std::to_string(statements) +
                " statements, " + std::to_string(copies) + " COPY blocks, " +
                std::to_string(tables.total_rows()) + " rows, " + std::to_string(warnings) +
                " warnings, " + FormatBytes(counters.input_bytes) + " read (" +
                FormatBytes(input.uncompressed_bytes()) + " uncompressed) in " + rate,
            {{"statements", statements},
             {"copy_blocks", copies},
             {"rows", tables.total_rows()},
             {"warnings", warnings},
             {"databases", databases}});
  for (const TableCount& t : tables.tables()) {
    if (t.rows > 0) {
      log::Info("  table " + t.name + ": " + std::to_string(t.rows) + " rows",
                {{"table", t.name}, {"rows", t.rows}});
    }
  }
  return 0;
}

}  // namespace ra
