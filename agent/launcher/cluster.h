// The cluster as the launcher sees it: `oc` or `kubectl` commands, run (or, for a plan, only
// printed). Workloads are DeploymentConfigs or Deployments, whichever exists; pods are found
// from the workload's own selector, never from a hard-coded label.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "agent/launcher/subprocess.h"

namespace ra::launcher {

struct ClusterOptions {
  std::string cli = "oc";  // oc | kubectl (or a path to either)
  std::string ns;          // -n NAMESPACE on every command; empty: the current project
  bool dry_run = false;    // print the commands, run nothing (plan)
  double rollout_timeout = 900;
  double pod_timeout = 300;
};

struct Workload {
  std::string kind;  // "dc" or "deployment"
  std::string name;
  int replicas = 0;
  std::string selector;  // k=v,k2=v2
  std::string ref() const { return kind + "/" + name; }
};

// A command of the cluster failed; the message names it and holds what it printed.
struct ClusterError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct Call {
  std::string stdin_file;
  bool echo = false;     // pass the command's output through (the agent's log lines)
  bool cleanup = false;  // runs even after SIGINT (putting replicas back)
  std::string display;   // shown instead of the argv (secrets left out)
  double timeout_seconds = 0;
};

class Cluster {
 public:
  explicit Cluster(ClusterOptions options) : o_(std::move(options)) {}
  bool dry_run() const { return o_.dry_run; }
  const ClusterOptions& options() const { return o_; }

  // Prints "$ oc ARGS" and runs it (dry run: prints only); a failure throws ClusterError.
  RunResult Do(const std::vector<std::string>& args, const Call& call = {});
  // A read-only query: runs in dry-run mode too, returns JSON; nullopt when not found.
  std::optional<nlohmann::json> Get(const std::vector<std::string>& args);
  // A command that changes nothing the restore cares about (an agent's --check): run also by
  // plan, printed, its result returned whatever it is.
  RunResult Probe(const std::vector<std::string>& args, const Call& call = {});
  // A ready pod of `w` now, without waiting (also in plan); nullopt when there is none.
  std::optional<std::string> ReadyPodNow(const Workload& w);
  // Whether the last Get had an answer from the cluster (found, or "not found").
  bool answered() const { return answered_; }

  // The DeploymentConfig or Deployment NAME; nullopt when neither exists. Dry run: a
  // placeholder unless the cluster answers.
  std::optional<Workload> Find(const std::string& name);
  Workload Require(const std::string& name);
  // A running, ready pod of the workload (waits up to pod_timeout).
  std::string PodOf(const Workload& w);
  // Waits until no pod of the workload is left (after scaling to 0).
  void WaitNoPods(const Workload& w);
  void Scale(const Workload& w, int replicas, bool cleanup = false);
  // Restart (dc: rollout latest; deployment: rollout restart) and wait for the rollout.
  void Rollout(const Workload& w);
  void RolloutStatus(const Workload& w);

  std::vector<std::string> Base() const;  // cli [-n ns]

 private:
  // cli [-n ns] ARGS, printed as "  $ ..." (call.display instead, "< stdin_file" after) into
  // `shown`; returns the argv to run.
  std::vector<std::string> Show(const std::vector<std::string>& args, const Call& call,
                                std::string* shown) const;

  ClusterOptions o_;
  bool answered_ = false;
};

}  // namespace ra::launcher
