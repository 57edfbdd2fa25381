#include "agent/core/identity.h"

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "agent/core/error.h"

namespace ra {
namespace {

// The name of `uid` in a passwd-format file ("name:x:uid:gid:..."), or "".
std::string NameInPasswdFile(const std::string& path, uid_t uid) {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    const size_t a = line.find(':');
    if (a == std::string::npos) continue;
    const size_t b = line.find(':', a + 1);
    if (b == std::string::npos) continue;
    const size_t c = line.find(':', b + 1);
    if (c == std::string::npos) continue;
    if (line.substr(b + 1, c - b - 1) == std::to_string(uid)) return line.substr(0, a);
  }
  return "";
}

}  // namespace

std::string ResolveUserName(const std::string& explicit_user, const char* env_var,
                            const char* flag) {
  if (!explicit_user.empty()) return explicit_user;
  if (env_var != nullptr) {
    if (const char* v = std::getenv(env_var); v != nullptr && *v != '\0') return v;
  }
  const uid_t uid = ::getuid();
  if (const char* nss = std::getenv("NSS_WRAPPER_PASSWD"); nss != nullptr && *nss != '\0') {
    const std::string name = NameInPasswdFile(nss, uid);
    if (!name.empty()) return name;
  }
  // Read the file directly: no NSS call, which a static binary cannot always make.
  const std::string name = NameInPasswdFile("/etc/passwd", uid);
  if (!name.empty()) return name;
  std::string hint = std::string("cannot tell which user to connect as: pass ") + flag;
  if (env_var != nullptr) hint += std::string(" or set ") + env_var;
  hint += " (uid " + std::to_string(uid) +
          " has no name in NSS_WRAPPER_PASSWD or /etc/passwd, as under OpenShift's arbitrary uids)";
  throw Error(ErrorKind::kUsage, hint);
}

}  // namespace ra
