#include "agent/launcher/subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <iostream>

#include "agent/core/error.h"
#include "agent/core/signals.h"

extern char** environ;

namespace ra::launcher {
namespace {

std::vector<std::string> MergedEnv(const std::map<std::string, std::string>& extra) {
  std::vector<std::string> out;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string entry(*e);
    const std::string key = entry.substr(0, entry.find('='));
    if (extra.count(key) == 0) out.push_back(entry);
  }
  for (const auto& [k, v] : extra) out.push_back(k + "=" + v);
  return out;
}

// argv and envp for posix_spawn: pointers into strings this object keeps alive.
class SpawnArgs {
 public:
  SpawnArgs(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env)
      : env_strings_(MergedEnv(env)) {
    for (const auto& a : argv) argv_.push_back(const_cast<char*>(a.c_str()));
    argv_.push_back(nullptr);
    for (const auto& e : env_strings_) envp_.push_back(const_cast<char*>(e.c_str()));
    envp_.push_back(nullptr);
  }
  char** argv() { return argv_.data(); }
  char** envp() { return envp_.data(); }

 private:
  std::vector<std::string> env_strings_;
  std::vector<char*> argv_, envp_;
};

// Starts spec.argv with stdin from its file and stdout/stderr into the pipes' write ends.
pid_t StartChild(const RunSpec& spec, int out_fd, int err_fd) {
  const std::string in = spec.stdin_file.empty() ? "/dev/null" : spec.stdin_file;
  if (access(in.c_str(), R_OK) != 0)
    throw Error(ErrorKind::kIo, "cannot read '" + in + "': " + strerror(errno));
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, in.c_str(), O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
  posix_spawn_file_actions_adddup2(&fa, err_fd, 2);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  // The child gets default signal handling (ours catch SIGINT/SIGTERM to stop cleanly).
  sigset_t defaults;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGINT);
  sigaddset(&defaults, SIGTERM);
  sigaddset(&defaults, SIGPIPE);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF);
  SpawnArgs args(spec.argv, spec.env);
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, args.argv()[0], &fa, &attr, args.argv(), args.envp());
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) throw Error(ErrorKind::kIo, "cannot run '" + spec.argv[0] + "': " + strerror(rc));
  return pid;
}

// Reads the child's stdout and stderr to their ends; stops it on timeout or on our own stop.
void Pump(pid_t pid, int out_fd, int err_fd, const RunSpec& spec, RunResult* result) {
  using Clock = std::chrono::steady_clock;
  const auto started = Clock::now();
  bool term_sent = false;
  auto kill_time = Clock::time_point::max();
  pollfd fds[2] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
  int open_fds = 2;
  char buf[65536];
  while (open_fds > 0) {
    const int n = poll(fds, 2, 200);
    if (n < 0 && errno != EINTR) break;
    for (int i = 0; i < 2 && n > 0; ++i) {
      if (fds[i].fd < 0 || (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
      const ssize_t got = read(fds[i].fd, buf, sizeof buf);
      if (got <= 0) {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
        continue;
      }
      (i == 0 ? result->out : result->err).append(buf, static_cast<size_t>(got));
      if ((i == 1 && spec.echo_stderr) || (i == 0 && spec.echo_stdout)) {
        std::cerr.write(buf, got);
        std::cerr.flush();
      }
    }
    const auto now = Clock::now();
    const bool too_long = spec.timeout_seconds > 0 &&
                          now - started > std::chrono::duration<double>(spec.timeout_seconds);
    if ((too_long || (StopRequested() && !spec.ignore_stop)) && !term_sent) {
      result->timed_out = too_long;
      kill(pid, SIGTERM);
      term_sent = true;
      kill_time = now + std::chrono::seconds(5);
    }
    if (term_sent && now > kill_time) kill(pid, SIGKILL);
  }
  for (auto& f : fds)
    if (f.fd >= 0) close(f.fd);
}

}  // namespace

std::string FindOnPath(const std::string& name) {
  if (name.find('/') != std::string::npos) return access(name.c_str(), X_OK) == 0 ? name : "";
  const char* path = getenv("PATH");
  std::string p = path ? path : "/usr/bin:/bin";
  size_t start = 0;
  while (start <= p.size()) {
    size_t end = p.find(':', start);
    if (end == std::string::npos) end = p.size();
    const std::string dir = p.substr(start, end - start);
    const std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
    start = end + 1;
  }
  return "";
}

int Spawn(const std::vector<std::string>& argv, const std::string& log_file,
          const std::map<std::string, std::string>& env) {
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0640);
  posix_spawn_file_actions_adddup2(&fa, 1, 2);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID);
  SpawnArgs args(argv, env);
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, args.argv()[0], &fa, &attr, args.argv(), args.envp());
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) throw Error(ErrorKind::kIo, "cannot run '" + argv[0] + "': " + strerror(rc));
  return pid;
}

std::string ShellQuote(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& a : argv) {
    if (!out.empty()) out += ' ';
    const bool plain = !a.empty() && a.find_first_not_of(
                                         "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN"
                                         "OPQRSTUVWXYZ0123456789-_./:=,@%+") == std::string::npos;
    if (plain) {
      out += a;
      continue;
    }
    out += '\'';
    for (char c : a) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    out += '\'';
  }
  return out;
}

RunResult Run(const RunSpec& spec) {
  int out_pipe[2], err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0 || pipe2(err_pipe, O_CLOEXEC) != 0)
    throw Error(ErrorKind::kIo, std::string("cannot create a pipe: ") + strerror(errno));
  pid_t pid = 0;
  try {
    pid = StartChild(spec, out_pipe[1], err_pipe[1]);
  } catch (const Error&) {
    for (int fd : {out_pipe[0], out_pipe[1], err_pipe[0], err_pipe[1]}) close(fd);
    throw;
  }
  close(out_pipe[1]);
  close(err_pipe[1]);
  RunResult result;
  Pump(pid, out_pipe[0], err_pipe[0], spec, &result);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

}  // namespace ra::launcher
