// The 3scale backup set on the host (agent/launcher/PROCEDURE.md, "The backup set"): which files it
// holds, reading the backed-up Secrets and ConfigMaps, the template parameters computed from
// them, and the checks made before anything in the cluster changes.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "agent/core/base64.h"

namespace ra::launcher {

inline constexpr const char* kMysqlBackup = "system-mysql-backup.gz";
inline constexpr const char* kZyncBackup = "zync-database-backup.gz";
inline constexpr const char* kBackendRedisBackup = "backend-redis-dump.rdb";
inline constexpr const char* kSystemRedisBackup = "system-redis-dump.rdb";
inline constexpr const char* kStorageDir = "local/dir/system";

// The ten Secrets and two ConfigMaps, in the order the procedure applies them.
const std::vector<std::string>& SecretFiles();
const std::vector<std::string>& ConfigMapFiles();

std::string UrlDecode(const std::string& in);

// mysql2://USER:PASSWORD@HOST[:PORT]/DATABASE, parts URL-decoded.
struct DatabaseUrl {
  std::string user, password, host, database;
};
DatabaseUrl ParseDatabaseUrl(const std::string& url);

struct Finding {
  bool ok;
  std::string
      what;  // a line for the plan: "system-mysql-backup.gz: mysqldump, complete, 11 tables"
};

class BackupSet {
 public:
  explicit BackupSet(std::string dir) : dir_(std::move(dir)) {}
  const std::string& dir() const { return dir_; }
  std::string Path(const std::string& name) const { return dir_ + "/" + name; }

  // The JSON of a backed-up object; throws ra::Error(kBadFormat) naming the file when missing
  // or not JSON.
  const nlohmann::json& Object(const std::string& file) const;
  // A Secret's .data value, base64-decoded / a ConfigMap's .data value; throws naming the file
  // and key when absent.
  std::string SecretValue(const std::string& file, const std::string& key) const;
  std::string ConfigValue(const std::string& file, const std::string& key) const;

  // The `oc new-app --param NAME=VALUE` list of the template install, as the procedure
  // computes it with jq, base64 -d, cut and awk.
  std::vector<std::pair<std::string, std::string>> TemplateParams() const;
  // The database name and root password in system-database.json's URL.
  DatabaseUrl SystemDatabase() const;

  // Every check of the set: files present, each dump and RDB complete and intact according to
  // `agent inspect`, the JSON files parse and hold what the procedure reads, the storage tree.
  std::vector<Finding> Check(const std::string& agent) const;
  // Check, printed a line per finding under "Backup set DIR:"; true when every one is ok.
  bool PrintCheck(const std::string& agent) const;

 private:
  std::string dir_;
  mutable std::vector<std::pair<std::string, nlohmann::json>> cache_;
};

// Regular files and bytes under a directory (symlinks not followed).
struct TreeStats {
  uint64_t files = 0, bytes = 0;
};
TreeStats StatTree(const std::string& dir);

}  // namespace ra::launcher
