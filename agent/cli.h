// The command line: one CLI11 app with a subcommand per command. Parsing is separate from
// running so that tests (and manifest checks) can parse a command line without side effects.
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <string>

#include "agent/command_options.h"
#include "agent/redis_replay.h"
#include "agent/redis_swap.h"

namespace ra {

struct CliOptions {
  RestoreMysqlOptions restore_mysql;
  RestorePostgresOptions restore_postgres;
  InspectOptions inspect;
  RedisSwapOptions redis;
  RedisReplayOptions replay;
};

struct Cli {
  std::unique_ptr<CLI::App> app;
  CliOptions options;
  CLI::App* restore_mysql = nullptr;
  CLI::App* restore_postgres = nullptr;
  CLI::App* inspect = nullptr;
  CLI::App* version = nullptr;
  CLI::App* redis_swap = nullptr;
  CLI::App* redis_finish = nullptr;
  CLI::App* redis_recover = nullptr;
  CLI::App* redis_rollback = nullptr;
  CLI::App* redis_replay = nullptr;
  bool check_args = false;
};

std::unique_ptr<Cli> BuildCli();

// Parses and runs; returns the process exit code. All errors are reported here.
int RunCli(int argc, char** argv);

}  // namespace ra
