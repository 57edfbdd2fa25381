// restore-launcher: the host-side coordinator of the 3scale restore. It drives `oc` or
// `kubectl` and leaves all data work to restore-agent inside the pods; it links no database
// client library.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <filesystem>
#include <iostream>

#include "agent/core/error.h"
#include "agent/core/signals.h"
#include "agent/launcher/procedure.h"
#include "agent/launcher/subprocess.h"
#include "agent/launcher/verify.h"

namespace {

constexpr const char* kExitCodes =
    "Exit codes:\n"
    "  0    success\n"
    "  1    internal error\n"
    "  2    usage error\n"
    "  3    the backup set failed its checks (nothing was changed)\n"
    "  4    a step failed (run: the journal records where; the same command continues)\n"
    "       verify: a part did not restore or does not match the backup\n"
    "  5    run: the confirmation was not given\n"
    "  130  interrupted (SIGINT), 143 (SIGTERM)\n";

// The agent beside this executable, else restore-agent on PATH.
std::string DefaultAgent() {
  std::error_code ec;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    for (const char* rel : {"restore-agent", "../restore-agent"}) {
      const auto p = self.parent_path() / rel;
      if (access(p.c_str(), X_OK) == 0) return p.lexically_normal().string();
    }
  }
  const std::string on_path = ra::launcher::FindOnPath("restore-agent");
  return on_path.empty() ? "restore-agent" : on_path;
}

void AddBackupDir(CLI::App* c, std::string* dir) {
  c->add_option("--backup-dir", *dir, "the backup set (the files of the backup procedure)")
      ->required()
      ->check(CLI::ExistingDirectory);
}

void AddClusterOptions(CLI::App* c, ra::launcher::LauncherOptions* o) {
  c->add_option("-n,--namespace", o->cluster.ns, "the 3scale namespace (default: the current one)");
  c->add_option("--cli", o->cluster.cli, "oc or kubectl (or a path to one)")->capture_default_str();
  c->add_option("--install", o->install,
                "operator: apply the Secrets and ConfigMaps (and --apimanager); template: "
                "oc new-app from the backed-up JSON; auto: operator when an APIManager exists; "
                "skip: leave the install alone")
      ->check(CLI::IsMember({"auto", "operator", "template", "skip"}))
      ->capture_default_str();
  c->add_option("--amp-template", o->amp_template, "template install: the amp.yml template")
      ->capture_default_str();
  c->add_option("--apimanager", o->apimanager_file,
                "operator install: APIManager manifest applied after the Secrets")
      ->check(CLI::ExistingFile);
  c->add_option("--redis", o->redis_mode,
                "auto: sync where the agent's checks in the pod pass, else swap (the plan says "
                "which and why); sync: the agent as the server's master, no restart; swap: the "
                "RDB becomes the server's data (old data kept as -old, one rollout); replay: "
                "RESTORE the keys into the running server")
      ->check(CLI::IsMember({"auto", "sync", "swap", "replay"}))
      ->capture_default_str();
  c->add_option("--agent", o->agent, "the static restore-agent copied into the pods")
      ->capture_default_str();
  c->add_option("--rollout-timeout", o->cluster.rollout_timeout, "seconds a rollout may take")
      ->capture_default_str();
  c->add_option("--pod-timeout", o->cluster.pod_timeout,
                "seconds to wait for a ready pod, or for pods to go after scaling to 0")
      ->capture_default_str();
  const std::string steps = [] {
    std::string s;
    for (const auto& n : ra::launcher::StepNames()) s += (s.empty() ? "" : ", ") + n;
    return s;
  }();
  c->add_option("--only", o->only, "run only these steps (comma-separated), done or not: " + steps)
      ->delimiter(',');
  c->add_option("--from", o->from, "run from this step to the end, done or not");
  c->add_flag("--restart", o->restart,
              "forget the finished steps in the journal and start over (replica counts "
              "remembered from an earlier run are kept)");
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "restore-launcher: the whole 3scale restore from the host, resumable.\n"
      "It checks the backup set, then runs the procedure with oc/kubectl, using restore-agent\n"
      "inside the pods for all data work. 'verify' restores a backup set into throwaway local\n"
      "servers instead, to check it without a cluster."};
  app.footer(kExitCodes);
  app.require_subcommand(1);
  ra::launcher::LauncherOptions o;
  o.agent = DefaultAgent();

  // plan and run take the same options: run adds --yes.
  auto cluster_command = [&](const char* name, const char* help) {
    CLI::App* c = app.add_subcommand(name, help);
    AddBackupDir(c, &o.backup_dir);
    AddClusterOptions(c, &o);
    c->footer(kExitCodes);
    return c;
  };
  CLI::App* plan = cluster_command(
      "plan",
      "Check the backup set and print the steps with the commands 'run' would use. Changes "
      "nothing.");
  CLI::App* run = cluster_command(
      "run",
      "Check the backup set, show the steps, ask, then run them. A journal in the backup dir "
      "records finished steps: after a failure the same command continues.");
  run->add_flag("-y,--yes", o.yes, "do not ask for confirmation");

  ra::launcher::VerifyOptions v;
  v.agent = o.agent;
  CLI::App* verify = app.add_subcommand(
      "verify",
      "Restore the whole backup set into throwaway local MariaDB, PostgreSQL and Redis servers\n"
      "(from PATH, in a temp dir, unix sockets only) with the agent, and report tables and rows,\n"
      "databases, keys per Redis db, storage files and bytes next to what the backup holds.");
  AddBackupDir(verify, &v.backup_dir);
  verify->add_option("--agent", v.agent, "the restore-agent to use")->capture_default_str();
  verify->add_option("--work-dir", v.work_dir,
                     "where the servers keep their data (default: a temp dir)");
  verify->add_option("--report", v.report_path, "write the verification report as JSON to FILE");
  verify->add_flag("--keep", v.keep, "keep the servers' data dir afterwards");
  verify->footer(kExitCodes);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : ra::launcher::kExitUsage;
  }
  ra::InstallStopHandlers();
  try {
    if (*plan) return ra::launcher::RunPlan(o);
    if (*run) return ra::launcher::RunProcedure(o);
    return ra::launcher::RunVerify(v);
  } catch (const ra::Error& e) {
    std::cerr << "restore-launcher: " << e.what() << std::endl;
    return ra::ExitCodeFor(e.kind(), e.signal());
  } catch (const std::exception& e) {
    std::cerr << "restore-launcher: " << e.what() << std::endl;
    return 1;
  }
}
