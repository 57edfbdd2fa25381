// The restore procedure (agent/launcher/PROCEDURE.md) as ordered steps over the cluster, with the
// journal that lets a rerun continue where a failed run stopped.
#pragma once

#include <string>
#include <vector>

#include "agent/launcher/cluster.h"

namespace ra::launcher {

struct LauncherOptions {
  std::string backup_dir;
  ClusterOptions cluster;
  std::string install = "auto";  // auto | operator | template | skip
  std::string amp_template = "/opt/amp/templates/amp.yml";
  std::string apimanager_file;      // operator install: applied after the secrets when given
  std::string redis_mode = "auto";  // auto | sync | swap | replay
  std::string agent;                // the static restore-agent on this host
  std::string pod_agent = "/tmp/restore-agent";
  std::string redis_data_dir = "/var/lib/redis/data";
  std::string storage_path = "/opt/system/public/system";
  std::vector<std::string> only;
  std::string from;
  bool yes = false;
  bool restart = false;
};

// Step names in order: install, stop-writers, system-mysql, zync-database, backend-redis,
// system-redis, start-writers, system-storage, rollouts, resync-domains.
std::vector<std::string> StepNames();

// Exit codes of restore-launcher.
inline constexpr int kExitOk = 0;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitBadBackup = 3;   // the backup set failed its checks: nothing changed
inline constexpr int kExitStepFailed = 4;  // a step failed: the journal says where; rerun continues
inline constexpr int kExitDeclined = 5;    // the confirmation was not given

int RunPlan(const LauncherOptions& options);
int RunProcedure(const LauncherOptions& options);

}  // namespace ra::launcher
