// The one error catalogue of the agent and its mapping to documented exit codes.
//
// Everything that stops a command is an ra::Error with a kind; main() turns the kind into the
// exit code (ExitCodeFor), and nothing else picks exit codes. Messages are lowercase, carry
// values in quotes and say where (file, line, byte, statement) and what the server said.
#pragma once

#include <stdexcept>
#include <string>

namespace ra {

enum class ErrorKind {
  kInternal,      // 1: a bug or an unexpected library failure
  kUsage,         // 2: bad command line, missing credentials
  kBadFormat,     // 3: input is not what the command restores, or SQL the splitter cannot follow
  kCorrupt,       // 4: truncated or corrupt input (gzip CRC/length, cut inside a statement)
  kConnect,       // 5: could not connect / authenticate
  kServer,        // 6: the server rejected a statement (or several, with --force)
  kIo,            // 7: local file could not be read or written
  kIncomplete,    // 8: intact input without its dump tool's completion trailer
  kPrecondition,  // 9: the target does not allow the command (restore-redis sync's checks)
  kInterrupted,   // 130 (SIGINT) or 143 (SIGTERM): stopped on request
};

class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, const std::string& message, int signal = 0)
      : std::runtime_error(message), kind_(kind), signal_(signal) {}
  ErrorKind kind() const { return kind_; }
  int signal() const { return signal_; }

 private:
  ErrorKind kind_;
  int signal_;
};

int ExitCodeFor(ErrorKind kind, int signal = 0);
const char* ErrorKindName(ErrorKind kind);

}  // namespace ra
