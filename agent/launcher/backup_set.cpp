#include "agent/launcher/backup_set.h"

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "agent/core/error.h"
#include "agent/launcher/subprocess.h"

namespace ra::launcher {

const std::vector<std::string>& SecretFiles() {
  static const std::vector<std::string> files = {
      "system-smtp.json",          "system-seed.json",        "system-database.json",
      "backend-internal-api.json", "system-events-hook.json", "system-app.json",
      "system-recaptcha.json",     "system-redis.json",       "zync.json",
      "system-master-apicast.json"};
  return files;
}

const std::vector<std::string>& ConfigMapFiles() {
  static const std::vector<std::string> files = {"system-environment.json",
                                                 "apicast-environment.json"};
  return files;
}

std::string UrlDecode(const std::string& in) {
  std::string out;
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '%' && i + 2 < in.size() && isxdigit(static_cast<unsigned char>(in[i + 1])) &&
        isxdigit(static_cast<unsigned char>(in[i + 2]))) {
      out += static_cast<char>(std::stoi(in.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += in[i];
    }
  }
  return out;
}

DatabaseUrl ParseDatabaseUrl(const std::string& url) {
  const size_t scheme = url.find("://");
  if (scheme == std::string::npos)
    throw Error(ErrorKind::kBadFormat, "database URL without a scheme (expected mysql2://...)");
  const size_t path = url.find('/', scheme + 3);
  const std::string authority =
      url.substr(scheme + 3, path == std::string::npos ? std::string::npos : path - scheme - 3);
  DatabaseUrl r;
  const size_t at = authority.rfind('@');
  if (at != std::string::npos) {
    const std::string userinfo = authority.substr(0, at);
    const size_t colon = userinfo.find(':');
    r.user = UrlDecode(userinfo.substr(0, colon));
    if (colon != std::string::npos) r.password = UrlDecode(userinfo.substr(colon + 1));
  }
  r.host = authority.substr(at == std::string::npos ? 0 : at + 1);
  if (path != std::string::npos) {
    std::string db = url.substr(path + 1);
    db = db.substr(0, db.find_first_of("?#"));
    r.database = UrlDecode(db);
  }
  if (r.database.empty())
    throw Error(ErrorKind::kBadFormat, "database URL names no database (expected .../system)");
  return r;
}

const nlohmann::json& BackupSet::Object(const std::string& file) const {
  for (const auto& [name, j] : cache_)
    if (name == file) return j;
  std::ifstream in(Path(file));
  if (!in) throw Error(ErrorKind::kBadFormat, "'" + Path(file) + "' is missing");
  nlohmann::json j = nlohmann::json::parse(in, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    throw Error(ErrorKind::kBadFormat, "'" + Path(file) + "' is not a JSON object");
  cache_.emplace_back(file, std::move(j));
  return cache_.back().second;
}

namespace {
std::string DataValue(const nlohmann::json& obj, const std::string& file, const std::string& key) {
  if (!obj.contains("data") || !obj["data"].is_object() || !obj["data"].contains(key) ||
      !obj["data"][key].is_string())
    throw Error(ErrorKind::kBadFormat, "'" + file + "' has no .data." + key);
  return obj["data"][key].get<std::string>();
}
}  // namespace

std::string BackupSet::SecretValue(const std::string& file, const std::string& key) const {
  try {
    return Base64Decode(DataValue(Object(file), file, key));
  } catch (const Error& e) {
    throw Error(ErrorKind::kBadFormat, file + " .data." + key + ": " + e.what());
  }
}

std::string BackupSet::ConfigValue(const std::string& file, const std::string& key) const {
  return DataValue(Object(file), file, key);
}

DatabaseUrl BackupSet::SystemDatabase() const {
  try {
    return ParseDatabaseUrl(SecretValue("system-database.json", "URL"));
  } catch (const Error& e) {
    throw Error(ErrorKind::kBadFormat, std::string("system-database.json .data.URL: ") + e.what());
  }
}

std::vector<std::pair<std::string, std::string>> BackupSet::TemplateParams() const {
  const auto& env = Object("system-environment.json");
  std::string app_label;
  if (env.contains("metadata") && env["metadata"].contains("labels") &&
      env["metadata"]["labels"].contains("app"))
    app_label = env["metadata"]["labels"]["app"].get<std::string>();
  else
    throw Error(ErrorKind::kBadFormat, "system-environment.json has no .metadata.labels.app");
  const DatabaseUrl db = SystemDatabase();
  const auto s = [&](const char* file, const char* key) { return SecretValue(file, key); };
  const auto c = [&](const char* file, const char* key) { return ConfigValue(file, key); };
  return {
      {"APP_LABEL", app_label},
      {"TENANT_NAME", s("system-seed.json", "TENANT_NAME")},
      {"SYSTEM_DATABASE_USER", s("system-database.json", "DB_USER")},
      {"SYSTEM_DATABASE_PASSWORD", s("system-database.json", "DB_PASSWORD")},
      {"SYSTEM_DATABASE", db.database},
      {"SYSTEM_DATABASE_ROOT_PASSWORD", db.password},
      {"WILDCARD_DOMAIN", c("system-environment.json", "THREESCALE_SUPERDOMAIN")},
      {"SYSTEM_BACKEND_USERNAME", s("backend-internal-api.json", "username")},
      {"SYSTEM_BACKEND_PASSWORD", s("backend-internal-api.json", "password")},
      {"SYSTEM_BACKEND_SHARED_SECRET", s("system-events-hook.json", "PASSWORD")},
      {"SYSTEM_APP_SECRET_KEY_BASE", s("system-app.json", "SECRET_KEY_BASE")},
      {"ADMIN_PASSWORD", s("system-seed.json", "ADMIN_PASSWORD")},
      {"ADMIN_USERNAME", s("system-seed.json", "ADMIN_USER")},
      {"ADMIN_EMAIL", s("system-seed.json", "ADMIN_EMAIL")},
      {"ADMIN_ACCESS_TOKEN", s("system-seed.json", "ADMIN_ACCESS_TOKEN")},
      {"MASTER_NAME", s("system-seed.json", "MASTER_DOMAIN")},
      {"MASTER_USER", s("system-seed.json", "MASTER_USER")},
      {"MASTER_PASSWORD", s("system-seed.json", "MASTER_PASSWORD")},
      {"MASTER_ACCESS_TOKEN", s("system-seed.json", "MASTER_ACCESS_TOKEN")},
      {"RECAPTCHA_PUBLIC_KEY", s("system-recaptcha.json", "PUBLIC_KEY")},
      {"RECAPTCHA_PRIVATE_KEY", s("system-recaptcha.json", "PRIVATE_KEY")},
      {"SYSTEM_REDIS_URL", s("system-redis.json", "URL")},
      {"SYSTEM_MESSAGE_BUS_REDIS_URL", s("system-redis.json", "MESSAGE_BUS_URL")},
      {"SYSTEM_REDIS_NAMESPACE", s("system-redis.json", "NAMESPACE")},
      {"SYSTEM_MESSAGE_BUS_REDIS_NAMESPACE", s("system-redis.json", "MESSAGE_BUS_NAMESPACE")},
      {"ZYNC_DATABASE_PASSWORD", s("zync.json", "ZYNC_DATABASE_PASSWORD")},
      {"ZYNC_SECRET_KEY_BASE", s("zync.json", "SECRET_KEY_BASE")},
      {"ZYNC_AUTHENTICATION_TOKEN", s("zync.json", "ZYNC_AUTHENTICATION_TOKEN")},
      {"APICAST_ACCESS_TOKEN", s("system-master-apicast.json", "ACCESS_TOKEN")},
      {"APICAST_MANAGEMENT_API", c("apicast-environment.json", "APICAST_MANAGEMENT_API")},
      {"APICAST_OPENSSL_VERIFY", c("apicast-environment.json", "OPENSSL_VERIFY")},
      {"APICAST_RESPONSE_CODES", c("apicast-environment.json", "APICAST_RESPONSE_CODES")},
      {"APICAST_REGISTRY_URL", c("system-environment.json", "APICAST_REGISTRY_URL")},
  };
}

TreeStats StatTree(const std::string& dir) {
  namespace fs = std::filesystem;
  TreeStats t;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    const auto st = it->symlink_status(ec);
    if (!ec && fs::is_regular_file(st)) {
      ++t.files;
      t.bytes += it->file_size(ec);
    }
  }
  if (ec) throw Error(ErrorKind::kIo, "cannot read '" + dir + "': " + ec.message());
  return t;
}

std::vector<Finding> BackupSet::Check(const std::string& agent) const {
  std::vector<Finding> out;
  for (const char* f : {kMysqlBackup, kZyncBackup, kBackendRedisBackup, kSystemRedisBackup}) {
    if (!std::filesystem::is_regular_file(Path(f))) {
      out.push_back({false, std::string(f) + ": missing"});
      continue;
    }
    const RunResult r = Run({.argv = {agent, "inspect", "--json", "--progress", "never", Path(f)}});
    const nlohmann::json j = nlohmann::json::parse(r.out, nullptr, false);
    if (j.is_discarded()) {
      out.push_back({false, std::string(f) + ": restore-agent inspect failed (exit " +
                                std::to_string(r.exit_code) + "): " + r.err});
      continue;
    }
    std::ostringstream what;
    what << f << ": " << j.value("format", "?");
    if (j.contains("rdb_version")) what << " version " << j["rdb_version"];
    if (j.contains("contents") && j["contents"].contains("tables"))
      what << ", " << j["contents"]["tables"].size() << " tables, "
           << j["contents"].value("rows", 0) << " rows";
    if (j.contains("keys")) what << ", " << j["keys"].dump() << " keys";
    what << ", " << j.value("uncompressed_bytes", 0) << " bytes";
    if (r.exit_code != 0)
      what << " -- NOT restorable (exit " << r.exit_code << "): " << j.value("error", "incomplete");
    else
      what << ", intact and complete";
    out.push_back({r.exit_code == 0, what.str()});
  }
  if (!std::filesystem::is_directory(Path(kStorageDir))) {
    out.push_back({false, std::string(kStorageDir) + "/: missing (the system-storage tree)"});
  } else {
    const TreeStats t = StatTree(Path(kStorageDir));
    out.push_back({true, std::string(kStorageDir) + "/: " + std::to_string(t.files) + " files, " +
                             std::to_string(t.bytes) + " bytes"});
  }
  std::vector<std::string> json_files = SecretFiles();
  json_files.insert(json_files.end(), ConfigMapFiles().begin(), ConfigMapFiles().end());
  for (const auto& f : json_files) {
    try {
      const auto& j = Object(f);
      const std::string want = f.find("environment") != std::string::npos ? "ConfigMap" : "Secret";
      if (j.value("kind", "") != want) {
        out.push_back({false, f + ": kind is '" + j.value("kind", "") + "', expected " + want});
        continue;
      }
      out.push_back({true, f + ": " + want + " " + j["metadata"].value("name", "?")});
    } catch (const Error& e) {
      out.push_back({false, e.what()});
    }
  }
  try {
    const auto params = TemplateParams();
    const DatabaseUrl db = SystemDatabase();
    out.push_back({true, "template parameters: " + std::to_string(params.size()) +
                             " computed; system database '" + db.database + "' (user " + db.user +
                             ", root password from its URL)"});
  } catch (const Error& e) {
    out.push_back({false, std::string("what the procedure reads: ") + e.what()});
  }
  return out;
}

bool BackupSet::PrintCheck(const std::string& agent) const {
  std::cout << "Backup set " << dir_ << ":" << std::endl;
  bool ok = true;
  for (const auto& f : Check(agent)) {
    std::cout << (f.ok ? "  ok    " : "  FAIL  ") << f.what << std::endl;
    ok = ok && f.ok;
  }
  return ok;
}

}  // namespace ra::launcher
