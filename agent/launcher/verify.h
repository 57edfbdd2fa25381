// restore-launcher verify: restores a whole backup set into throwaway local MariaDB, PostgreSQL
// and Redis servers (started from the PATH, in a temp dir, on unix sockets only) with the agent,
// and reports what came back next to what the backup says it holds.
#pragma once

#include <string>

namespace ra::launcher {

struct VerifyOptions {
  std::string backup_dir;
  std::string agent;
  std::string work_dir;     // default: a new dir under $TMPDIR or /tmp
  std::string report_path;  // JSON report
  bool keep = false;        // leave the servers' data behind (they are stopped)
};

// 0 when every part restored and matches; 3 when the set fails its checks; 4 when a restore
// failed or what came back differs from the backup.
int RunVerify(const VerifyOptions& options);

}  // namespace ra::launcher
