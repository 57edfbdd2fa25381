// Passwords the way the clients take them: an environment variable (MYSQL_PWD, REDISCLI_AUTH,
// or one named by --password-env) or a secret file (--password-file). Never an argv value.
#pragma once

#include <optional>
#include <string>

namespace ra {

struct PasswordOptions {
  std::string file;      // --password-file: first line, trailing newline removed
  std::string env_name;  // --password-env: the variable to read
};

// Order: --password-file, --password-env, then `default_env` (may be null). Throws
// ra::Error(kUsage) when a named source is missing; warns when the file is readable by others.
std::optional<std::string> ResolvePassword(const PasswordOptions& options, const char* default_env);

}  // namespace ra
