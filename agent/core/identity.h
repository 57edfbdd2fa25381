// Which database user to connect as, without depending on the process's own user name:
// OpenShift runs pods as an arbitrary UID that often has no passwd entry, and the RHEL images
// resolve it with nss_wrapper through LD_PRELOAD, which a static binary ignores.
#pragma once

#include <string>

namespace ra {

// In order: `explicit_user` (the command's --user), the environment variable `env_var` (e.g.
// PGUSER; may be null), the entry for our UID in the file named by NSS_WRAPPER_PASSWD, the
// entry in /etc/passwd. Throws ra::Error(kUsage) asking for `flag` when none gives a name.
std::string ResolveUserName(const std::string& explicit_user, const char* env_var,
                            const char* flag);

}  // namespace ra
