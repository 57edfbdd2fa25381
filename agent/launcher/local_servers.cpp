#include "agent/launcher/local_servers.h"

#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "agent/core/error.h"
#include "agent/core/signals.h"
#include "agent/launcher/subprocess.h"

namespace ra::launcher {
namespace {

namespace fs = std::filesystem;

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

void MustRun(const std::vector<std::string>& argv, const std::string& what) {
  const RunResult r = Run({.argv = argv});
  if (!r.ok())
    throw Error(ErrorKind::kIo,
                what + " failed (exit " + std::to_string(r.exit_code) + "): " + r.out + r.err);
}

std::vector<std::string> AsPostgresUser(std::vector<std::string> argv) {
  if (IsRoot()) argv.insert(argv.begin(), {"runuser", "-u", "nobody", "--"});
  return argv;
}

}  // namespace

void LocalServer::Stop() {
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

bool LocalServer::Poll(bool ready) {
  if (ready) return true;
  if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
    pid_ = 0;
    throw Error(ErrorKind::kIo, name_ + " exited while starting; its log: " + log_);
  }
  if (waited_ > 90 || StopRequested())
    throw Error(ErrorKind::kIo, name_ + " did not become ready; its log: " + log_);
  std::this_thread::sleep_for(std::chrono::duration<double>(delay_));
  waited_ += delay_;
  delay_ = std::min(delay_ * 1.5, 0.5);
  return false;
}

std::string Tool(const std::string& name, const std::vector<std::string>& dirs) {
  std::string found = FindOnPath(name);
  for (const auto& d : dirs)
    if (found.empty() && access((d + "/" + name).c_str(), X_OK) == 0) found = d + "/" + name;
  if (found.empty())
    throw Error(ErrorKind::kUsage, "'" + name +
                                       "' is not installed (container/install-deps.sh "
                                       "installs the servers verify needs)");
  return found;
}

bool IsRoot() { return geteuid() == 0; }

std::string MakeWorkDir(const std::string& dir) {
  std::string work = dir;
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
  if (!IsRoot()) return work;
  // PostgreSQL refuses root and runs as nobody, which must get through to its data dir.
  for (fs::path p = fs::absolute(work); p != p.root_path(); p = p.parent_path()) {
    struct stat st {};
    if (stat(p.c_str(), &st) == 0 && (st.st_mode & 0011) != 0011)
      chmod(p.c_str(), (st.st_mode & 07777) | 0011);
  }
  return work;
}

LocalMariadb StartMariadb(const std::string& work) {
  const std::string dir = work + "/mariadb";
  fs::create_directories(dir);
  LocalMariadb m;
  m.socket = dir + "/mysqld.sock";
  std::vector<std::string> user;
  if (IsRoot()) user.push_back("--user=root");
  std::vector<std::string> install = {Tool("mariadb-install-db", {"/usr/bin", "/usr/sbin"}),
                                      "--no-defaults", "--datadir=" + dir + "/data",
                                      "--auth-root-authentication-method=normal", "--skip-test-db"};
  install.insert(install.end(), user.begin(), user.end());
  MustRun(install, "mariadb-install-db");
  std::vector<std::string> cmd = {Tool("mariadbd", {"/usr/sbin"}),
                                  "--no-defaults",
                                  "--datadir=" + dir + "/data",
                                  "--socket=" + m.socket,
                                  "--skip-networking",
                                  "--pid-file=" + dir + "/mysqld.pid",
                                  "--max-allowed-packet=1G",
                                  "--innodb-buffer-pool-size=256M",
                                  "--innodb-log-file-size=256M"};
  cmd.insert(cmd.end(), user.begin(), user.end());
  m.server =
      std::make_unique<LocalServer>("mariadbd", Spawn(cmd, dir + "/error.log"), dir + "/error.log");
  m.client = Tool("mariadb");
  const std::string admin = Tool("mariadb-admin");
  m.server->WaitReady([&] {
    return Run({.argv = {admin, "--no-defaults", "--socket=" + m.socket, "-uroot", "ping"}}).ok();
  });
  return m;
}

LocalPostgres StartPostgres(const std::string& work) {
  const std::string dir = work + "/postgres";
  fs::create_directories(dir);
  if (IsRoot()) {
    const passwd* nobody = getpwnam("nobody");
    if (nobody) chown(dir.c_str(), nobody->pw_uid, nobody->pw_gid);
  }
  const auto bins = PostgresDirs();
  MustRun(AsPostgresUser({Tool("initdb", bins), "-D", dir + "/data", "-U", "postgres",
                          "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"}),
          "initdb");
  LocalPostgres p;
  const std::string log = work + "/postgres.log";
  p.server = std::make_unique<LocalServer>(
      "postgres",
      Spawn(AsPostgresUser({Tool("postgres", bins), "-D", dir + "/data", "-c",
                            "listen_addresses=", "-c", "unix_socket_directories=" + dir, "-c",
                            "fsync=off", "-c", "logging_collector=off"}),
            log),
      log);
  p.env = {{"PGHOST", dir}, {"PGUSER", "postgres"}, {"PGDATABASE", "postgres"}};
  p.psql = Tool("psql");
  const std::string ready = Tool("pg_isready", bins);
  p.server->WaitReady([&] { return Run({.argv = {ready, "-h", dir}, .env = p.env}).ok(); });
  return p;
}

LocalRedis StartRedis(const std::string& work, const std::string& name) {
  const std::string dir = work + "/" + name;
  fs::create_directories(dir);
  LocalRedis r;
  r.socket = dir + "/redis.sock";
  r.cli = Tool("redis-cli");
  r.server = std::make_unique<LocalServer>(
      name,
      Spawn({Tool("redis-server"), "--port", "0", "--unixsocket", r.socket, "--unixsocketperm",
             "700", "--dir", dir, "--save", "", "--appendonly", "no", "--daemonize", "no"},
            dir + "/redis.log"),
      dir + "/redis.log");
  r.server->WaitReady([&] {
    return Run({.argv = {r.cli, "-s", r.socket, "ping"}}).out == "PONG\n";
  });
  return r;
}

}  // namespace ra::launcher
