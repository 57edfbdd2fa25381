#include "agent/core/credentials.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "agent/core/error.h"
#include "agent/core/log.h"

namespace ra {

std::optional<std::string> ResolvePassword(const PasswordOptions& options,
                                           const char* default_env) {
  if (!options.file.empty()) {
    struct stat st {};
    if (::stat(options.file.c_str(), &st) != 0) {
      throw Error(ErrorKind::kUsage,
                  "cannot read password file '" + options.file + "': " + std::strerror(errno));
    }
    // Secrets mounted by Kubernetes are often 0644 through a symlink; warn, do not refuse.
    if ((st.st_mode & S_IROTH) != 0) {
      log::Warn("password file '" + options.file + "' is readable by other users");
    }
    std::ifstream in(options.file, std::ios::binary);
    if (!in) throw Error(ErrorKind::kUsage, "cannot read password file '" + options.file + "'");
    std::stringstream ss;
    ss << in.rdbuf();
    std::string pw = ss.str();
    const size_t nl = pw.find('\n');
    if (nl != std::string::npos) pw.resize(nl);
    if (!pw.empty() && pw.back() == '\r') pw.pop_back();
    return pw;
  }
  if (!options.env_name.empty()) {
    const char* v = std::getenv(options.env_name.c_str());
    if (v == nullptr) {
      throw Error(ErrorKind::kUsage,
                  "--password-env names '" + options.env_name + "' but it is not set");
    }
    return std::string(v);
  }
  if (default_env != nullptr) {
    if (const char* v = std::getenv(default_env)) return std::string(v);
  }
  return std::nullopt;
}

}  // namespace ra
