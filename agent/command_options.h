// Options every subcommand shares (log format, progress, report) and the options of each
// command. Filled by the CLI (agent/cli.cpp), read by the commands.
#pragma once

#include <string>

#include "agent/credentials.h"
#include "agent/progress.h"

namespace ra {

struct CommonOptions {
  std::string log_format = "text";  // text | json
  std::string progress = "auto";    // auto | always | never
  std::string report_path;          // --report FILE
};

struct RestoreMysqlOptions {
  CommonOptions common;
  std::string source;  // path or "-"
  std::string host;
  unsigned port = 0;
  std::string socket;
  std::string user;
  std::string database;
  bool create_database = false;
  PasswordOptions password;
  bool force = false;
  double wait_seconds = 0;
  bool skip_preflight = false;
  std::string once_marker;
  bool stay = false;  // sidecar: keep running after the restore until SIGTERM
  int jobs = 0;       // INSERT connections; 0: the number of CPUs; 1: serial
};

struct RestorePostgresOptions {
  CommonOptions common;
  std::string source;
  std::string host;
  std::string port;
  std::string user;
  std::string dbname;  // database name, conninfo string or URI
  PasswordOptions password;
  std::string on_error = "stop";  // stop | continue
  double wait_seconds = 0;
  bool skip_preflight = false;
  std::string once_marker;
  bool stay = false;  // sidecar: keep running after the restore until SIGTERM
  int jobs = 0;       // COPY/index connections; 0: the number of CPUs; 1: serial
};

struct InspectOptions {
  CommonOptions common;
  std::string source;
  bool json = false;
  bool keys = false;  // RDB: list every key
};

ProgressMode ParseProgressMode(const std::string& mode);

}  // namespace ra
