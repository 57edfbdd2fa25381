// Running the tools the launcher drives (oc/kubectl, restore-agent, the local servers' tools):
// argv only, never a shell; stdin from a file (the backup streamed into `oc exec -i`); stdout
// captured; stderr captured and, when asked, passed through live so the agent's progress shows.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace ra::launcher {

struct RunSpec {
  std::vector<std::string> argv;
  std::string stdin_file;                  // empty: /dev/null
  std::map<std::string, std::string> env;  // added to (or replacing in) the launcher's own
  bool echo_stderr = false;                // copy the child's stderr to ours as it comes
  bool echo_stdout = false;                // copy the child's stdout to our stderr as it comes
  double timeout_seconds = 0;              // 0: none; else SIGTERM, then SIGKILL after 5 s
  bool ignore_stop = false;                // cleanup commands run to the end after SIGINT
};

struct RunResult {
  int exit_code = 0;  // 128+N when killed by signal N
  bool timed_out = false;
  std::string out;
  std::string err;
  bool ok() const { return exit_code == 0 && !timed_out; }
};

// Throws ra::Error(kIo) when the program cannot be started or the stdin file opened.
RunResult Run(const RunSpec& spec);

// Starts a long-running program (a local server) in its own session with stdout and stderr to
// `log_file`, and returns its pid without waiting.
int Spawn(const std::vector<std::string>& argv, const std::string& log_file,
          const std::map<std::string, std::string>& env = {});

// The command as a shell would read it (for plans and logs); arguments are quoted as needed.
std::string ShellQuote(const std::vector<std::string>& argv);

// Where a program is on PATH ("" when not found).
std::string FindOnPath(const std::string& name);

}  // namespace ra::launcher
