// RetryConnect: the connect loop every client wrapper shares. A server that is starting (a pod
// coming up, a sidecar beside its database) refuses connections for a while; --wait says how
// long to keep trying. Errors that waiting cannot cure (a wrong password) end it at once.
#pragma once

#include <chrono>
#include <functional>
#include <string>

namespace ra {

struct ConnectAttempt {
  bool connected = false;
  bool final = false;   // not worth retrying (authentication, unknown database, ...)
  std::string problem;  // what the server or the library said
};

struct RetryPolicy {
  std::chrono::milliseconds wait{0};             // how long to keep trying in all
  std::chrono::milliseconds first_backoff{250};  // doubled after each attempt
  std::chrono::milliseconds max_backoff{5000};
};

// Calls `attempt` until it connects, fails for good, the wait is over or a stop was asked for.
// Logs "waiting for <what> (attempt N): <problem>" before each retry and "connected to <what>
// after N attempts" when a retry succeeds. When it gives up, throws ra::Error(kConnect) with
// `fail(attempts, seconds, problem)`.
void RetryConnect(const std::string& what, const RetryPolicy& policy,
                  const std::function<ConnectAttempt()>& attempt,
                  const std::function<std::string(int, double, const std::string&)>& fail);

// " after 3 attempts over 1.5 s", or "" for one attempt: for the messages of `fail`.
std::string AttemptsSuffix(int attempts, double seconds);

}  // namespace ra
