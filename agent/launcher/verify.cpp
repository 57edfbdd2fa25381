#include "agent/launcher/verify.h"

#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include "agent/core/error.h"
#include "agent/launcher/backup_set.h"
#include "agent/launcher/local_servers.h"
#include "agent/launcher/procedure.h"
#include "agent/launcher/subprocess.h"

namespace ra::launcher {
namespace {

namespace fs = std::filesystem;

// MySQL quoting for the SQL verify writes itself: names come from the backup.
std::string SqlLiteral(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  return out + "'";
}
std::string SqlIdentifier(const std::string& s) {
  std::string out = "`";
  for (char c : s) out += c == '`' ? std::string("``") : std::string(1, c);
  return out + "`";
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line))
    if (!line.empty()) out.push_back(line);
  return out;
}

// "name<TAB>count" lines into name -> count.
std::map<std::string, long long> Counts(const std::string& text) {
  std::map<std::string, long long> out;
  for (const auto& line : Lines(text)) {
    const size_t tab = line.find('\t');
    if (tab != std::string::npos) out[line.substr(0, tab)] = std::stoll(line.substr(tab + 1));
  }
  return out;
}

struct Outcome {
  bool ok = true;
  nlohmann::json report = nlohmann::json::object();
  void Fail(const std::string& part, const std::string& why) {
    ok = false;
    report["problems"].push_back(part + ": " + why);
    std::cout << "  FAIL  " << part << ": " << why << std::endl;
  }
};

nlohmann::json Inspect(const std::string& agent, const std::string& file) {
  const RunResult r = Run({.argv = {agent, "inspect", "--json", "--progress", "never", file}});
  return nlohmann::json::parse(r.out, nullptr, true);
}

bool RunAgent(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
              const std::string& part, Outcome& out) {
  std::cout << "  $ " << ShellQuote(argv) << std::endl;
  const RunResult r = Run({.argv = argv, .env = env, .echo_stderr = true});
  if (!r.ok()) out.Fail(part, "the agent exited with " + std::to_string(r.exit_code));
  return r.ok();
}

// Rows the dump holds per table, by the agent's census ("db.schema.table" or "table").
std::map<std::string, long long> DumpRows(const nlohmann::json& inspect) {
  std::map<std::string, long long> out;
  if (inspect.contains("contents"))
    for (const auto& t : inspect["contents"]["tables"])
      out[t["name"].get<std::string>()] = t.value("rows", 0LL);
  return out;
}

// system-mysql: restored into the database system-database.json names; exact row counts of
// every table next to the dump's (a partitioned table counts as one: its rows are in its
// INSERTs, partitions are the server's business).
void VerifyMysql(const VerifyOptions& o, const BackupSet& set, const LocalMariadb& m,
                 Outcome& out) {
  const DatabaseUrl db = set.SystemDatabase();
  const auto want = DumpRows(Inspect(o.agent, set.Path(kMysqlBackup)));
  if (!RunAgent({o.agent, "restore-mysql", "--socket", m.socket, "--user", "root", "--database",
                 db.database, "--create-database", "--progress", "never", set.Path(kMysqlBackup)},
                {}, "system-mysql", out))
    return;
  const std::vector<std::string> client = {
      m.client, "--no-defaults", "--socket=" + m.socket, "-uroot", "-N", "-B"};
  auto query = [&](const std::string& database, const std::string& sql) {
    std::vector<std::string> argv = client;
    if (!database.empty()) argv.push_back(database);
    argv.insert(argv.end(), {"-e", sql});
    return Run({.argv = argv}).out;
  };
  std::string sql;
  for (const auto& t :
       Lines(query("",
                   "SELECT table_name FROM information_schema.tables WHERE "
                   "table_schema = " +
                       SqlLiteral(db.database) + " AND table_type = 'BASE TABLE' ORDER BY 1")))
    sql += (sql.empty() ? "" : " UNION ALL ") + std::string("SELECT ") + SqlLiteral(t) +
           ", COUNT(*) FROM " + SqlIdentifier(t);
  const auto got =
      sql.empty() ? std::map<std::string, long long>() : Counts(query(db.database, sql));
  nlohmann::json tables = nlohmann::json::object();
  long long total = 0;
  for (const auto& [name, rows] : got) {
    tables[name] = rows;
    total += rows;
    if (want.count(name) && want.at(name) != rows)
      out.Fail("system-mysql", "table " + name + ": " + std::to_string(rows) +
                                   " rows restored, the dump holds " +
                                   std::to_string(want.at(name)));
  }
  if (tables.size() != want.size())
    out.Fail("system-mysql", std::to_string(tables.size()) + " tables restored, the dump has " +
                                 std::to_string(want.size()));
  out.report["system-mysql"] = {{"database", db.database}, {"tables", tables}, {"rows", total}};
}

// Each table's own rows (ONLY): a partitioned table's rows are in its partitions, an
// inheritance parent's own rows are its own; the dump counts them the same way.
std::map<std::string, long long> PgTableRows(const LocalPostgres& p, const std::string& db,
                                             const std::string& work) {
  auto env = p.env;
  env["PGDATABASE"] = db;
  const std::string gexec =
      "SELECT format('SELECT %L, count(*) FROM ONLY %I.%I', schemaname || '.' || tablename, "
      "schemaname, tablename) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', "
      "'information_schema') ORDER BY 1 \\gexec\n";
  const std::string script = work + "/count.sql";
  std::ofstream(script) << gexec;
  if (IsRoot()) chmod(script.c_str(), 0644);
  return Counts(Run({.argv = {p.psql, "-X", "-At", "-F", "\t", "-f", script}, .env = env}).out);
}

void VerifyPostgres(const VerifyOptions& o, const BackupSet& set, const LocalPostgres& p,
                    const std::string& work, Outcome& out) {
  const auto want = DumpRows(Inspect(o.agent, set.Path(kZyncBackup)));
  if (!RunAgent({o.agent, "restore-postgres", "--progress", "never", set.Path(kZyncBackup)}, p.env,
                "zync-database", out))
    return;
  const auto dbs = Lines(Run({.argv = {p.psql, "-X", "-At", "-c",
                                       "SELECT datname FROM pg_database WHERE NOT datistemplate "
                                       "ORDER BY 1"},
                              .env = p.env})
                             .out);
  nlohmann::json databases = nlohmann::json::object();
  for (const auto& d : dbs) {
    nlohmann::json tables = nlohmann::json::object();
    for (const auto& [name, rows] : PgTableRows(p, d, work)) {
      tables[name] = rows;
      const std::string full = d + "." + name;
      if (want.count(full) && want.at(full) != rows)
        out.Fail("zync-database", "table " + full + ": " + std::to_string(rows) +
                                      " rows restored, the dump holds " +
                                      std::to_string(want.at(full)));
    }
    databases[d] = tables;
  }
  for (const auto& [name, rows] : want) {
    const std::string d = name.substr(0, name.find('.'));
    const std::string rest = name.substr(name.find('.') + 1);
    if (!databases.contains(d) || !databases[d].contains(rest))
      out.Fail("zync-database", "table " + name + " of the dump was not restored");
  }
  out.report["zync-database"] = {{"databases", databases}};
}

void VerifyRedis(const VerifyOptions& o, const BackupSet& set, const std::string& name,
                 const std::string& file, const LocalRedis& r, Outcome& out) {
  const auto rdb = Inspect(o.agent, set.Path(file));
  // sync, the method the run prefers: the throwaway server becomes the agent's replica.
  if (!RunAgent({o.agent, "restore-redis", "sync", "--socket", r.socket, "--progress", "never",
                 "--journal", r.socket + ".sync-journal", set.Path(file)},
                {}, name, out))
    return;
  nlohmann::json keys = nlohmann::json::object();
  for (const auto& line : Lines(Run({.argv = {r.cli, "-s", r.socket, "INFO", "keyspace"}}).out)) {
    if (line.rfind("db", 0) != 0) continue;
    keys[line.substr(0, line.find(':'))] = std::stoll(line.substr(line.find("keys=") + 5));
  }
  // Keys with an expiry may lapse between backup and check; persistent keys may not.
  for (const auto& d : rdb["databases"]) {
    const std::string dbname = "db" + std::to_string(d["db"].get<int>());
    const long long want = d["keys"].get<long long>();
    const long long lapsing = d.value("expires", 0LL);
    const long long got = keys.value(dbname, 0LL);
    if (got > want || got < want - lapsing)
      out.Fail(name, dbname + ": " + std::to_string(got) + " keys restored, the RDB holds " +
                         std::to_string(want));
  }
  out.report[name] = {{"keys", keys}};
}

// system-storage: copied as oc rsync would, then counted.
void VerifyStorage(const BackupSet& set, const std::string& work, Outcome& out) {
  const std::string storage = work + "/storage/system";
  fs::create_directories(storage);
  fs::copy(set.Path(kStorageDir), storage,
           fs::copy_options::recursive | fs::copy_options::copy_symlinks);
  const TreeStats want = StatTree(set.Path(kStorageDir)), got = StatTree(storage);
  if (want.files != got.files || want.bytes != got.bytes)
    out.Fail("system-storage", "copied " + std::to_string(got.files) + " files, " +
                                   std::to_string(got.bytes) + " bytes of " +
                                   std::to_string(want.files) + ", " + std::to_string(want.bytes));
  out.report["system-storage"] = {{"files", got.files}, {"bytes", got.bytes}};
}

void PrintReport(const nlohmann::json& report) {
  std::cout << "\nVerification report" << std::endl;
  if (report.contains("system-mysql")) {
    const auto& m = report["system-mysql"];
    std::cout << "  system-mysql: database " << m["database"].get<std::string>() << ", "
              << m["tables"].size() << " tables, " << m["rows"] << " rows" << std::endl;
    for (const auto& [t, n] : m["tables"].items())
      std::cout << "    " << t << std::string(t.size() < 28 ? 28 - t.size() : 1, ' ') << n
                << std::endl;
  }
  if (report.contains("zync-database"))
    for (const auto& [d, tables] : report["zync-database"]["databases"].items()) {
      long long rows = 0;
      for (const auto& [t, n] : tables.items()) rows += n.get<long long>();
      std::cout << "  zync-database: database " << d << ", " << tables.size() << " tables, " << rows
                << " rows" << std::endl;
    }
  for (const char* name : {"backend-redis", "system-redis"})
    if (report.contains(name)) {
      std::cout << "  " << name << ":";
      for (const auto& [d, n] : report[name]["keys"].items()) std::cout << " " << d << "=" << n;
      std::cout << " keys" << std::endl;
    }
  if (report.contains("system-storage"))
    std::cout << "  system-storage: " << report["system-storage"]["files"] << " files, "
              << report["system-storage"]["bytes"] << " bytes" << std::endl;
}

// Every part into its throwaway server; the servers stop when this returns.
void RestoreAll(const VerifyOptions& o, const BackupSet& set, const std::string& work,
                Outcome& out) {
  const LocalMariadb mariadb = StartMariadb(work);
  const LocalPostgres postgres = StartPostgres(work);
  const LocalRedis backend = StartRedis(work, "backend-redis");
  const LocalRedis system = StartRedis(work, "system-redis");
  std::cout << "\nRestoring with " << o.agent << std::endl;
  VerifyMysql(o, set, mariadb, out);
  VerifyPostgres(o, set, postgres, work, out);
  VerifyRedis(o, set, "backend-redis", kBackendRedisBackup, backend, out);
  VerifyRedis(o, set, "system-redis", kSystemRedisBackup, system, out);
  VerifyStorage(set, work, out);
}

}  // namespace

int RunVerify(const VerifyOptions& o) {
  BackupSet set(o.backup_dir);
  if (!set.PrintCheck(o.agent)) return kExitBadBackup;
  const std::string work = MakeWorkDir(o.work_dir);
  std::cout << "\nThrowaway servers in " << work << std::endl;
  Outcome out;
  const auto started = std::chrono::steady_clock::now();
  RestoreAll(o, set, work, out);
  if (!o.keep) {
    std::error_code ec;
    fs::remove_all(work, ec);
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  out.report["seconds"] = seconds;
  out.report["ok"] = out.ok;
  PrintReport(out.report);
  std::cout << (out.ok ? "VERIFIED: every part restored and matches the backup"
                       : "NOT VERIFIED: see the FAIL lines above")
            << " (" << static_cast<int>(seconds + 0.5) << " s)" << std::endl;
  if (!o.report_path.empty()) {
    std::ofstream f(o.report_path);
    f << out.report.dump(2) << std::endl;
    if (!f) throw Error(ErrorKind::kIo, "cannot write the report '" + o.report_path + "'");
  }
  return out.ok ? kExitOk : kExitStepFailed;
}

}  // namespace ra::launcher
