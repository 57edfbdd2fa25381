#include "agent/core/signals.h"

#include <unistd.h>

#include <csignal>

namespace ra {
namespace {

volatile std::sig_atomic_t g_signal = 0;

void OnSignal(int sig) {
  if (g_signal != 0) {
    // Second request: the user means it. Leave with the conventional status.
    ::_exit(128 + sig);
  }
  g_signal = sig;
}

}  // namespace

void InstallStopHandlers() {
  struct sigaction sa {};
  sa.sa_handler = OnSignal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: blocking reads return EINTR and the loop checks the flag
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
}

bool StopRequested() { return g_signal != 0; }
int StopSignal() { return static_cast<int>(g_signal); }

}  // namespace ra
