#include "agent/launcher/cluster.h"

#include <chrono>
#include <iostream>
#include <thread>

#include "agent/core/signals.h"

namespace ra::launcher {

std::vector<std::string> Cluster::Base() const {
  std::vector<std::string> b = {o_.cli};
  if (!o_.ns.empty()) b.insert(b.end(), {"-n", o_.ns});
  return b;
}

std::vector<std::string> Cluster::Show(const std::vector<std::string>& args, const Call& call,
                                       std::string* shown) const {
  std::vector<std::string> argv = Base();
  argv.insert(argv.end(), args.begin(), args.end());
  *shown = call.display.empty() ? ShellQuote(argv) : call.display;
  if (!call.stdin_file.empty()) *shown += " < " + ShellQuote({call.stdin_file});
  std::cout << "  $ " << *shown << std::endl;
  return argv;
}

RunResult Cluster::Do(const std::vector<std::string>& args, const Call& call) {
  std::string shown;
  const std::vector<std::string> argv = Show(args, call, &shown);
  if (o_.dry_run) return {};
  const RunResult r = Run({.argv = argv,
                           .stdin_file = call.stdin_file,
                           .echo_stderr = call.echo,
                           .echo_stdout = call.echo,
                           .timeout_seconds = call.timeout_seconds,
                           .ignore_stop = call.cleanup});
  if (!r.ok()) {
    std::string detail = r.err.empty() ? r.out : r.err;
    while (!detail.empty() && detail.back() == '\n') detail.pop_back();
    const size_t cut = detail.size() > 2000 ? detail.size() - 2000 : 0;
    throw ClusterError("'" + shown + "' " +
                       (r.timed_out ? std::string("timed out")
                                    : "failed (exit " + std::to_string(r.exit_code) + ")") +
                       (detail.empty() || call.echo ? "" : ": " + detail.substr(cut)));
  }
  return r;
}

RunResult Cluster::Probe(const std::vector<std::string>& args, const Call& call) {
  std::string shown;
  const std::vector<std::string> argv = Show(args, call, &shown);
  return Run(
      {.argv = argv, .stdin_file = call.stdin_file, .timeout_seconds = call.timeout_seconds});
}

std::optional<nlohmann::json> Cluster::Get(const std::vector<std::string>& args) {
  std::vector<std::string> argv = Base();
  argv.push_back("get");
  argv.insert(argv.end(), args.begin(), args.end());
  argv.insert(argv.end(), {"-o", "json"});
  RunResult r;
  answered_ = false;
  try {
    r = Run({.argv = argv, .timeout_seconds = 120});
  } catch (const std::exception&) {
    if (o_.dry_run) return std::nullopt;  // no cli here: the plan shows placeholders
    throw;
  }
  if (!r.ok()) {
    answered_ = r.err.find("NotFound") != std::string::npos ||
                r.err.find("not found") != std::string::npos ||
                r.err.find("doesn't have a resource type") != std::string::npos;
    if (answered_ || o_.dry_run) return std::nullopt;
    throw ClusterError("'" + ShellQuote(argv) + "' failed (exit " + std::to_string(r.exit_code) +
                       "): " + r.err);
  }
  nlohmann::json j = nlohmann::json::parse(r.out, nullptr, false);
  if (j.is_discarded()) throw ClusterError("'" + ShellQuote(argv) + "' did not print JSON");
  answered_ = true;
  return j;
}

std::optional<Workload> Cluster::Find(const std::string& name) {
  for (const char* kind : {"dc", "deployment"}) {
    if (o_.cli.find("kubectl") != std::string::npos && std::string(kind) == "dc") continue;
    const auto j = Get({std::string(kind) + "/" + name});
    if (!j) continue;
    Workload w{kind, name, (*j)["spec"].value("replicas", 1), ""};
    const nlohmann::json& sel = std::string(kind) == "dc" ? (*j)["spec"]["selector"]
                                                          : (*j)["spec"]["selector"]["matchLabels"];
    for (const auto& [k, v] : sel.items())
      w.selector += (w.selector.empty() ? "" : ",") + k + "=" + v.get<std::string>();
    return w;
  }
  if (o_.dry_run) return Workload{"{dc|deployment}", name, -1, "<its selector>"};
  return std::nullopt;
}

Workload Cluster::Require(const std::string& name) {
  auto w = Find(name);
  if (!w)
    throw ClusterError("neither a DeploymentConfig nor a Deployment named '" + name + "' exists" +
                       (o_.ns.empty() ? "" : " in namespace '" + o_.ns + "'"));
  return *w;
}

namespace {
bool PodReady(const nlohmann::json& pod) {
  if (pod["metadata"].contains("deletionTimestamp")) return false;
  if (pod["status"].value("phase", "") != "Running") return false;
  if (!pod["status"].contains("containerStatuses")) return false;
  for (const auto& c : pod["status"]["containerStatuses"])
    if (!c.value("ready", false)) return false;
  return true;
}
}  // namespace

std::optional<std::string> Cluster::ReadyPodNow(const Workload& w) {
  const auto pods = Get({"pods", "-l", w.selector});
  if (pods)
    for (const auto& p : (*pods)["items"])
      if (PodReady(p)) return p["metadata"]["name"].get<std::string>();
  return std::nullopt;
}

std::string Cluster::PodOf(const Workload& w) {
  if (o_.dry_run) return "<pod of " + w.name + ">";
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::duration<double>(o_.pod_timeout);
  for (;;) {
    const auto pods = Get({"pods", "-l", w.selector});
    if (pods)
      for (const auto& p : (*pods)["items"])
        if (PodReady(p)) return p["metadata"]["name"].get<std::string>();
    if (std::chrono::steady_clock::now() > deadline || StopRequested())
      throw ClusterError("no running, ready pod of " + w.ref() + " (selector " + w.selector +
                         ") after " + std::to_string(static_cast<int>(o_.pod_timeout)) + " s");
    std::this_thread::sleep_for(std::chrono::seconds(2));
  }
}

void Cluster::WaitNoPods(const Workload& w) {
  if (o_.dry_run) return;
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::duration<double>(o_.pod_timeout);
  for (;;) {
    const auto pods = Get({"pods", "-l", w.selector});
    if (!pods || (*pods)["items"].empty()) return;
    if (std::chrono::steady_clock::now() > deadline || StopRequested())
      throw ClusterError("pods of " + w.ref() + " still running " +
                         std::to_string(static_cast<int>(o_.pod_timeout)) +
                         " s after scaling to 0");
    std::this_thread::sleep_for(std::chrono::seconds(2));
  }
}

void Cluster::Scale(const Workload& w, int replicas, bool cleanup) {
  Do({"scale", w.ref(), "--replicas=" + std::to_string(replicas)}, {.cleanup = cleanup});
}

void Cluster::RolloutStatus(const Workload& w) {
  const int t = static_cast<int>(o_.rollout_timeout);
  Do({"rollout", "status", w.ref(), "--timeout=" + std::to_string(t) + "s"},
     {.timeout_seconds = o_.rollout_timeout + 30});
}

void Cluster::Rollout(const Workload& w) {
  if (w.kind == "dc")
    Do({"rollout", "latest", w.ref()});
  else
    Do({"rollout", "restart", w.ref()});
  RolloutStatus(w);
}

}  // namespace ra::launcher
