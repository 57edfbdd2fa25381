// The throwaway servers restore-launcher verify restores into: MariaDB, PostgreSQL and two
// Redis, started from the PATH (Debian's PostgreSQL from /usr/lib/postgresql/N/bin) in a work
// dir, on unix sockets only, each waited for with its own client's readiness check and stopped
// (SIGTERM, then SIGKILL) when its handle goes. As root, PostgreSQL runs as nobody.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace ra::launcher {

class LocalServer {
 public:
  LocalServer(std::string name, int pid, std::string log)
      : name_(std::move(name)), pid_(pid), log_(std::move(log)) {}
  LocalServer(const LocalServer&) = delete;
  LocalServer& operator=(const LocalServer&) = delete;
  ~LocalServer() { Stop(); }
  void Stop();
  // Polls `ready` (the server's own client) with backoff for up to 90 s.
  template <class Ready>
  void WaitReady(Ready ready) {
    while (!Poll(ready())) {
    }
  }

 private:
  bool Poll(bool ready);  // false: poll again (after a pause); throws when it exited or timed out
  std::string name_;
  int pid_;
  std::string log_;
  double waited_ = 0, delay_ = 0.05;
};

struct LocalMariadb {
  std::unique_ptr<LocalServer> server;
  std::string socket;
  std::string client;  // the mariadb client
};
struct LocalPostgres {
  std::unique_ptr<LocalServer> server;
  std::map<std::string, std::string> env;  // PGHOST, PGUSER, PGDATABASE
  std::string psql;
};
struct LocalRedis {
  std::unique_ptr<LocalServer> server;
  std::string socket;
  std::string cli;
};

// A program on PATH or in one of `dirs`; throws ra::Error(kUsage) saying what installs it.
std::string Tool(const std::string& name, const std::vector<std::string>& dirs = {});
bool IsRoot();

// The work dir: `dir`, or a new one under $TMPDIR; as root, made traversable for nobody.
std::string MakeWorkDir(const std::string& dir);

LocalMariadb StartMariadb(const std::string& work);
LocalPostgres StartPostgres(const std::string& work);
LocalRedis StartRedis(const std::string& work, const std::string& name);

}  // namespace ra::launcher
