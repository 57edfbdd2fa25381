// The command line of restore-agent: a table of commands (agent/cli/cli.cpp). Every command is
// registered the same way — its own options, then the common ones (--log-format, --progress,
// --report), the exit-code footer and --help — and runs through one dispatcher, which sets up
// logging from that command's own options. Parsing is separate from running so that tests and
// manifest checks (--check-args) parse a command line without side effects.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "agent/inspect/inspect.h"
#include "agent/mysql/mysql_restore.h"
#include "agent/postgres/pg_restore.h"
#include "agent/redis/redis_replay.h"
#include "agent/redis/redis_swap.h"
#include "agent/redis/redis_sync.h"

namespace ra {

struct CliOptions {
  RestoreMysqlOptions restore_mysql;
  RestorePostgresOptions restore_postgres;
  InspectOptions inspect;
  RedisSwapOptions redis;  // swap, finish, recover, rollback
  RedisReplayOptions replay;
  RedisSyncOptions sync;
};

struct CliCommand {
  std::string name;  // "restore-redis replay"
  CLI::App* app = nullptr;
  CommonOptions* common = nullptr;  // null for `version`
  std::function<int()> run;
};

struct Cli {
  std::unique_ptr<CLI::App> app;
  CliOptions options;
  std::vector<CliCommand> commands;
  bool check_args = false;

  // The command `name`, or null.
  const CliCommand* Command(const std::string& name) const;
  // The command the parsed line selected, or null.
  const CliCommand* Parsed() const;
};

std::unique_ptr<Cli> BuildCli();

// Parses and runs; returns the process exit code. All errors are reported here.
int RunCli(int argc, char** argv);

}  // namespace ra
