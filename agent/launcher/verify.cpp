#include "agent/launcher/verify.h"

#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <sstream>
#include <thread>

#include "agent/error.h"
#include "agent/launcher/backup_set.h"
#include "agent/launcher/procedure.h"
#include "agent/launcher/subprocess.h"
#include "agent/signals.h"

namespace ra::launcher {
namespace {

namespace fs = std::filesystem;

std::string Tool(const std::string& name, const std::vector<std::string>& extra_dirs = {}) {
  std::string found = FindOnPath(name);
  for (const auto& d : extra_dirs)
    if (found.empty() && access((d + "/" + name).c_str(), X_OK) == 0) found = d + "/" + name;
  if (found.empty())
    throw Error(ErrorKind::kUsage, "'" + name + "' is not installed (container/install-deps.sh "
                                   "installs the servers verify needs)");
  return found;
}

// Debian keeps PostgreSQL's server programs outside PATH: the newest /usr/lib/postgresql/N/bin.
std::vector<std::string> PostgresDirs() {
  std::vector<std::pair<int, std::string>> found;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/usr/lib/postgresql", ec))
    if (fs::exists(e.path() / "bin" / "postgres"))
      found.emplace_back(atoi(e.path().filename().c_str()), (e.path() / "bin").string());
  std::sort(found.rbegin(), found.rend());
  std::vector<std::string> out;
  for (const auto& f : found) out.push_back(f.second);
  return out;
}

bool IsRoot() { return geteuid() == 0; }

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

void MustRun(const std::vector<std::string>& argv, const std::string& what) {
  const RunResult r = Run({.argv = argv});
  if (!r.ok())
    throw Error(ErrorKind::kIo, what + " failed (exit " + std::to_string(r.exit_code) + "): " +
                                    r.out + r.err);
}

// A server this verify started; stopped (SIGTERM, then SIGKILL) when it goes out of scope.
class LocalServer {
 public:
  LocalServer(std::string name, int pid, std::string log)
      : name_(std::move(name)), pid_(pid), log_(std::move(log)) {}
  LocalServer(const LocalServer&) = delete;
  ~LocalServer() { Stop(); }
  void Stop() {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    for (int i = 0; i < 300; ++i) {
      if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
        pid_ = 0;
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = 0;
  }
  // Polls a readiness check (the server's own client) until it passes.
  void WaitReady(const std::function<bool()>& ready) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(90);
    auto delay = std::chrono::milliseconds(50);
    while (std::chrono::steady_clock::now() < deadline && !StopRequested()) {
      if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
        pid_ = 0;
        throw Error(ErrorKind::kIo, name_ + " exited while starting; its log: " + log_);
      }
      if (ready()) return;
      std::this_thread::sleep_for(delay);
      delay = std::min(delay * 3 / 2, std::chrono::milliseconds(500));
    }
    throw Error(ErrorKind::kIo, name_ + " did not become ready; its log: " + log_);
  }

 private:
  std::string name_;
  int pid_;
  std::string log_;
};

std::vector<std::string> AsPostgresUser(std::vector<std::string> argv) {
  if (IsRoot()) argv.insert(argv.begin(), {"runuser", "-u", "nobody", "--"});
  return argv;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line))
    if (!line.empty()) out.push_back(line);
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

}  // namespace

int RunVerify(const VerifyOptions& o) {
  BackupSet set(o.backup_dir);
  if (!set.PrintCheck(o.agent)) return kExitBadBackup;

  std::string work = o.work_dir;
  if (work.empty()) {
    const char* tmp = getenv("TMPDIR");
    std::string tmpl = std::string(tmp && *tmp ? tmp : "/tmp") + "/restore-launcher-verify.XXXXXX";
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    if (mkdtemp(buf.data()) == nullptr) throw Error(ErrorKind::kIo, "cannot create " + tmpl);
    work = buf.data();
  } else {
    fs::create_directories(work);
  }
  if (IsRoot()) {
    // PostgreSQL refuses root and runs as nobody, which must get through to its data dir.
    for (fs::path p = fs::absolute(work); p != p.root_path(); p = p.parent_path()) {
      struct stat st {};
      if (stat(p.c_str(), &st) == 0 && (st.st_mode & 0011) != 0011)
        chmod(p.c_str(), (st.st_mode & 07777) | 0011);
    }
  }
  std::cout << "\nThrowaway servers in " << work << std::endl;
  Outcome out;
  const auto started = std::chrono::steady_clock::now();
  {
    // --- MariaDB: system-mysql-backup.gz into the database system-database.json names.
    const std::string mdir = work + "/mariadb", msock = mdir + "/mysqld.sock";
    fs::create_directories(mdir);
    std::vector<std::string> user_args;
    if (IsRoot()) user_args.push_back("--user=root");
    std::vector<std::string> install = {Tool("mariadb-install-db", {"/usr/bin", "/usr/sbin"}),
                                        "--no-defaults", "--datadir=" + mdir + "/data",
                                        "--auth-root-authentication-method=normal",
                                        "--skip-test-db"};
    install.insert(install.end(), user_args.begin(), user_args.end());
    MustRun(install, "mariadb-install-db");
    std::vector<std::string> mcmd = {Tool("mariadbd", {"/usr/sbin"}), "--no-defaults",
                                     "--datadir=" + mdir + "/data", "--socket=" + msock,
                                     "--skip-networking", "--pid-file=" + mdir + "/mysqld.pid",
                                     "--max-allowed-packet=1G", "--innodb-buffer-pool-size=256M",
                                     "--innodb-log-file-size=256M"};
    mcmd.insert(mcmd.end(), user_args.begin(), user_args.end());
    LocalServer mariadb("mariadbd", Spawn(mcmd, mdir + "/error.log"), mdir + "/error.log");
    const std::string mariadb_cli = Tool("mariadb");
    const std::string mariadb_admin = Tool("mariadb-admin");
    mariadb.WaitReady([&] {
      return Run({.argv = {mariadb_admin, "--no-defaults", "--socket=" + msock, "-uroot",
                           "ping"}})
          .ok();
    });

    // --- PostgreSQL: zync-database-backup.gz (pg_dumpall) as the superuser postgres.
    const std::string pdir = work + "/postgres";
    fs::create_directories(pdir);
    if (IsRoot()) {
      const passwd* nobody = getpwnam("nobody");
      if (nobody) chown(pdir.c_str(), nobody->pw_uid, nobody->pw_gid);
    }
    const auto pg_dirs = PostgresDirs();
    MustRun(AsPostgresUser({Tool("initdb", pg_dirs), "-D", pdir + "/data", "-U", "postgres",
                            "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"}),
            "initdb");
    const std::string plog = pdir + "/data/postgres.log";
    LocalServer postgres(
        "postgres",
        Spawn(AsPostgresUser({Tool("postgres", pg_dirs), "-D", pdir + "/data", "-c",
                              "listen_addresses=", "-c", "unix_socket_directories=" + pdir, "-c",
                              "fsync=off", "-c", "logging_collector=off"}),
              work + "/postgres.log"),
        work + "/postgres.log");
    const std::map<std::string, std::string> pg_env = {
        {"PGHOST", pdir}, {"PGUSER", "postgres"}, {"PGDATABASE", "postgres"}};
    const std::string pg_isready = Tool("pg_isready", pg_dirs);
    postgres.WaitReady([&] {
      return Run({.argv = {pg_isready, "-h", pdir}, .env = pg_env}).ok();
    });

    // --- Redis: backend-redis and system-redis, one server each.
    const std::string redis_cli = Tool("redis-cli");
    std::map<std::string, std::string> redis_socks;
    std::vector<std::unique_ptr<LocalServer>> redis;
    for (const std::string name : {"backend-redis", "system-redis"}) {
      const std::string rdir = work + "/" + name;
      fs::create_directories(rdir);
      const std::string sock = rdir + "/redis.sock";
      redis_socks[name] = sock;
      redis.push_back(std::make_unique<LocalServer>(
          name,
          Spawn({Tool("redis-server"), "--port", "0", "--unixsocket", sock, "--unixsocketperm",
                 "700", "--dir", rdir, "--save", "", "--appendonly", "no", "--daemonize", "no"},
                rdir + "/redis.log"),
          rdir + "/redis.log"));
      redis.back()->WaitReady(
          [&] { return Run({.argv = {redis_cli, "-s", sock, "ping"}}).out == "PONG\n"; });
    }

    // --- Restores, each through the agent, as the launcher runs them in the pods.
    std::cout << "\nRestoring with " << o.agent << std::endl;
    const DatabaseUrl db = set.SystemDatabase();
    const auto mysql_dump = Inspect(o.agent, set.Path(kMysqlBackup));
    if (RunAgent({o.agent, "restore-mysql", "--socket", msock, "--user", "root", "--database",
                  db.database, "--create-database", "--progress", "never",
                  set.Path(kMysqlBackup)},
                 {}, "system-mysql", out)) {
      // Exact row counts of every table, next to the dump's.
      const std::string list =
          Run({.argv = {mariadb_cli, "--no-defaults", "--socket=" + msock, "-uroot", "-N", "-e",
                        "SELECT table_name FROM information_schema.tables WHERE table_schema = " +
                            SqlLiteral(db.database) + " AND table_type = 'BASE TABLE' ORDER BY 1"}})
              .out;
      std::string sql;
      for (const auto& t : Lines(list))
        sql += (sql.empty() ? "" : " UNION ALL ") + std::string("SELECT ") + SqlLiteral(t) +
               ", COUNT(*) FROM " + SqlIdentifier(t);
      const auto want = DumpRows(mysql_dump);
      nlohmann::json tables = nlohmann::json::object();
      long long total = 0;
      if (!sql.empty()) {
        const RunResult counted = Run({.argv = {mariadb_cli, "--no-defaults", "--socket=" + msock,
                                                "-uroot", "-N", "-B", db.database, "-e", sql}});
        for (const auto& line : Lines(counted.out)) {
          const std::string name = line.substr(0, line.find('\t'));
          const long long rows = std::stoll(line.substr(line.find('\t') + 1));
          tables[name] = rows;
          total += rows;
          if (want.count(name) && want.at(name) != rows)
            out.Fail("system-mysql", "table " + name + ": " + std::to_string(rows) +
                                         " rows restored, the dump holds " +
                                         std::to_string(want.at(name)));
        }
      }
      if (tables.size() != want.size())
        out.Fail("system-mysql", std::to_string(tables.size()) + " tables restored, the dump has " +
                                     std::to_string(want.size()));
      out.report["system-mysql"] = {{"database", db.database}, {"tables", tables}, {"rows", total}};
    }

    const auto pg_dump = Inspect(o.agent, set.Path(kZyncBackup));
    if (RunAgent({o.agent, "restore-postgres", "--progress", "never", set.Path(kZyncBackup)},
                 pg_env, "zync-database", out)) {
      const std::string psql = Tool("psql");
      const auto dbs = Lines(
          Run({.argv = {psql, "-X", "-At", "-c",
                        "SELECT datname FROM pg_database WHERE NOT datistemplate ORDER BY 1"},
               .env = pg_env})
              .out);
      const auto want = DumpRows(pg_dump);
      nlohmann::json databases = nlohmann::json::object();
      for (const auto& d : dbs) {
        auto env = pg_env;
        env["PGDATABASE"] = d;
        const std::string gexec =
            "SELECT format('SELECT %L, count(*) FROM %I.%I', schemaname || '.' || tablename, "
            "schemaname, tablename) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', "
            "'information_schema') ORDER BY 1 \\gexec\n";
        std::string script_path = work + "/count.sql";
        std::ofstream(script_path) << gexec;
        if (IsRoot()) chmod(script_path.c_str(), 0644);
        const RunResult r = Run({.argv = {psql, "-X", "-At", "-F", "\t", "-f", script_path}, .env = env});
        nlohmann::json tables = nlohmann::json::object();
        for (const auto& line : Lines(r.out)) {
          const std::string name = line.substr(0, line.find('\t'));
          const long long rows = std::stoll(line.substr(line.find('\t') + 1));
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

    for (const auto& [name, file] : std::vector<std::pair<std::string, std::string>>{
             {"backend-redis", kBackendRedisBackup}, {"system-redis", kSystemRedisBackup}}) {
      const auto rdb = Inspect(o.agent, set.Path(file));
      if (!RunAgent({o.agent, "restore-redis", "replay", "--socket", redis_socks[name],
                     "--progress", "never", set.Path(file)},
                    {}, name, out))
        continue;
      const std::string info =
          Run({.argv = {redis_cli, "-s", redis_socks[name], "INFO", "keyspace"}}).out;
      nlohmann::json keys = nlohmann::json::object();
      for (const auto& line : Lines(info)) {
        if (line.rfind("db", 0) != 0) continue;
        const std::string dbname = line.substr(0, line.find(':'));
        const size_t k = line.find("keys=");
        keys[dbname] = std::stoll(line.substr(k + 5));
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

    // --- system-storage: copied as oc rsync would, then counted.
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
  }  // servers stop here
  if (!o.keep) {
    std::error_code ec;
    fs::remove_all(work, ec);
  }

  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  out.report["seconds"] = seconds;
  out.report["ok"] = out.ok;
  std::cout << "\nVerification report" << std::endl;
  if (out.report.contains("system-mysql")) {
    const auto& m = out.report["system-mysql"];
    std::cout << "  system-mysql: database " << m["database"].get<std::string>() << ", "
              << m["tables"].size() << " tables, " << m["rows"] << " rows" << std::endl;
    for (const auto& [t, n] : m["tables"].items())
      std::cout << "    " << t << std::string(t.size() < 28 ? 28 - t.size() : 1, ' ') << n
                << std::endl;
  }
  if (out.report.contains("zync-database"))
    for (const auto& [d, tables] : out.report["zync-database"]["databases"].items()) {
      long long rows = 0;
      for (const auto& [t, n] : tables.items()) rows += n.get<long long>();
      std::cout << "  zync-database: database " << d << ", " << tables.size() << " tables, "
                << rows << " rows" << std::endl;
    }
  for (const char* name : {"backend-redis", "system-redis"})
    if (out.report.contains(name)) {
      std::cout << "  " << name << ":";
      for (const auto& [d, n] : out.report[name]["keys"].items()) std::cout << " " << d << "=" << n;
      std::cout << " keys" << std::endl;
    }
  if (out.report.contains("system-storage"))
    std::cout << "  system-storage: " << out.report["system-storage"]["files"] << " files, "
              << out.report["system-storage"]["bytes"] << " bytes" << std::endl;
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
