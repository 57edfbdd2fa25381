#include "agent/core/retry.h"

#include <cstdio>
#include <thread>

#include "agent/core/error.h"
#include "agent/core/log.h"
#include "agent/core/signals.h"

namespace ra {

void RetryConnect(const std::string& what, const RetryPolicy& policy,
                  const std::function<ConnectAttempt()>& attempt,
                  const std::function<std::string(int, double, const std::string&)>& fail) {
  using Clock = std::chrono::steady_clock;
  const auto started = Clock::now();
  const auto deadline = started + policy.wait;
  auto backoff = policy.first_backoff;
  for (int attempts = 1;; ++attempts) {
    const ConnectAttempt a = attempt();
    if (a.connected) {
      if (attempts > 1) {
        log::Info("connected to " + what + " after " + std::to_string(attempts) + " attempts");
      }
      return;
    }
    const auto now = Clock::now();
    if (a.final || now + backoff > deadline || StopRequested()) {
      throw Error(ErrorKind::kConnect,
                  fail(attempts, std::chrono::duration<double>(now - started).count(), a.problem));
    }
    log::Info("waiting for " + what + " (attempt " + std::to_string(attempts) + "): " + a.problem,
              {{"attempt", attempts}});
    std::this_thread::sleep_for(backoff);
    backoff = std::min(backoff * 2, policy.max_backoff);
  }
}

std::string AttemptsSuffix(int attempts, double seconds) {
  if (attempts <= 1) return "";
  char buf[64];
  std::snprintf(buf, sizeof buf, " after %d attempts over %.1f s", attempts, seconds);
  return buf;
}

}  // namespace ra
