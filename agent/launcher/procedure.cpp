#include "agent/launcher/procedure.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <set>

#include "agent/core/error.h"
#include "agent/core/signals.h"
#include "agent/launcher/backup_set.h"
#include "agent/launcher/journal.h"

namespace ra::launcher {
namespace {

// Workloads that write records while data is restored (step 0 of the procedure). system-app
// (and its sidekiq) write to system-mysql and system-redis, backend-worker to backend-redis.
const std::vector<std::string> kWriters = {"system-app", "system-sidekiq", "backend-worker"};
const std::vector<std::string> kRollouts = {"backend-worker", "system-app", "system-sidekiq",
                                            "system-sphinx"};

struct Step {
  std::string name;
  std::string title;
  std::function<void()> run;
};

class Procedure {
 public:
  Procedure(const LauncherOptions& o, bool dry)
      : o_(o),
        set_(o.backup_dir),
        journal_(o.backup_dir + "/.restore-launcher.journal"),
        cluster_([&] {
          ClusterOptions c = o.cluster;
          c.dry_run = dry;
          return c;
        }()),
        dry_(dry) {}

  Journal& journal() { return journal_; }
  const std::string& mode() const { return mode_; }

  // operator or template (or skip); auto asks the cluster whether an APIManager exists.
  void ResolveMode() {
    mode_ = o_.install;
    if (mode_ != "auto") return;
    const auto am = cluster_.Get({"apimanager"});
    if (am && !(*am)["items"].empty())
      mode_ = "operator";
    else if (cluster_.answered())
      mode_ = "template";
    else
      mode_ = "operator (assumed: no cluster answered; --install chooses)";
  }

  std::vector<Step> Steps() {
    return {
        {"install", InstallTitle(), [this] { Install(); }},
        {"stop-writers",
         "scale the writers (system-app, system-sidekiq, backend-worker) to 0, "
         "remembering their replica counts",
         [this] { StopWriters(); }},
        {"system-mysql", "stream system-mysql-backup.gz into the agent in the system-mysql pod",
         [this] { SystemMysql(); }},
        {"zync-database", "zync and zync-que to 0, restore zync-database, put them back",
         [this] { ZyncDatabase(); }},
        {"backend-redis", RedisTitle("backend-redis"),
         [this] { Redis("backend-redis", kBackendRedisBackup); }},
        {"system-redis", RedisTitle("system-redis"),
         [this] { Redis("system-redis", kSystemRedisBackup); }},
        {"start-writers", "scale the writers back to their remembered replica counts",
         [this] { StartWriters(); }},
        {"system-storage",
         "rsync local/dir/system into system-app's " + o_.storage_path +
             " and compare file count and bytes",
         [this] { SystemStorage(); }},
        {"rollouts", "roll out backend-worker, system-app, system-sidekiq, system-sphinx and wait",
         [this] { Rollouts(); }},
        {"resync-domains", "bundle exec rake zync:resync:domains in a system-sidekiq pod",
         [this] { Resync(); }},
    };
  }

 private:
  std::string InstallTitle() const {
    return "apply the ten Secrets and two ConfigMaps, then the install (operator: APIManager; "
           "template: oc new-app with the parameters of the backed-up JSON)";
  }
  std::string RedisTitle(const std::string& name) const {
    const std::string sync =
        "sync: the agent in the pod is the server's master for one full resync of the RDB (no "
        "restart, old data served until the new is loaded), then durable and checked";
    const std::string swap =
        "swap the RDB in as dump.rdb and append-only base (old data kept as -old), one "
        "rollout, then check keys and rewrite the AOF";
    if (o_.redis_mode == "auto")
      return name + ": " + sync + "; where the agent's checks refuse it, " + swap;
    if (o_.redis_mode == "sync") return name + ": " + sync;
    if (o_.redis_mode == "swap") return name + ": " + swap;
    return name + ": replay the RDB into the running server (no restart)";
  }

  // --redis auto: sync where `restore-redis sync --check` in the pod passes (the backup streamed
  // to it, nothing written), else swap; the plan and the run say which and why.
  std::string RedisMethod(const Workload& w, const char* backup) {
    const std::string& name = w.name;
    if (o_.redis_mode != "auto") return o_.redis_mode;
    if (const auto f = journal_.Fact("method/" + name)) return f->get<std::string>();
    const std::optional<std::string> ready =
        dry_ ? cluster_.ReadyPodNow(w) : std::optional<std::string>(cluster_.PodOf(w));
    if (!ready) {
      Note(name +
           ": no ready pod now to check sync's preconditions in; the run decides "
           "(sync where they hold, else swap)");
      return "sync";
    }
    const std::string& pod = *ready;
    cluster_.Probe({"cp", o_.agent, pod + ":" + o_.pod_agent});
    const RunResult r = cluster_.Probe(
        Agent(pod, true, {"restore-redis", "sync", "--check", "--progress", "never", "-"}),
        {.stdin_file = set_.Path(backup)});
    std::string why = r.err;
    while (!why.empty() && why.back() == '\n') why.pop_back();
    why = why.substr(why.rfind('\n') == std::string::npos ? 0 : why.rfind('\n') + 1);
    const std::string method = r.exit_code == 0 ? "sync" : "swap";
    Note(name + " gets " + method +
         (method == "sync" ? ": every precondition of sync holds (no restart, no rollout)"
                           : ": sync is not possible here (" + why + ")"));
    Fact("method/" + name, method);
    return method;
  }

  void Note(const std::string& s) { std::cout << "  # " << s << std::endl; }

  void Fact(const std::string& key, const nlohmann::json& v) {
    if (!dry_) journal_.SetFact(key, v);
  }
  void Forget(const std::string& key) {
    if (!dry_) journal_.ForgetFact(key);
  }

  void CopyAgent(const std::string& pod) {
    cluster_.Do({"cp", o_.agent, pod + ":" + o_.pod_agent});
  }
  std::vector<std::string> Agent(const std::string& pod, bool stdin_too,
                                 std::vector<std::string> args) {
    std::vector<std::string> argv = {"exec"};
    if (stdin_too) argv.push_back("-i");
    argv.insert(argv.end(), {pod, "--", o_.pod_agent});
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
  }

  // --- steps ------------------------------------------------------------------------------

  void Install() {
    if (mode_ == "skip") {
      Note("--install skip: the Secrets, ConfigMaps and install are left as they are");
      return;
    }
    if (mode_.rfind("operator", 0) == 0) {
      for (const auto& f : SecretFiles()) cluster_.Do({"apply", "-f", set_.Path(f)});
      for (const auto& f : ConfigMapFiles()) cluster_.Do({"apply", "-f", set_.Path(f)});
      if (!o_.apimanager_file.empty()) {
        cluster_.Do({"apply", "-f", o_.apimanager_file});
      } else {
        const auto am = cluster_.Get({"apimanager"});
        if (!dry_ && (!am || (*am)["items"].empty()))
          throw ClusterError(
              "no APIManager exists: create it (or pass --apimanager FILE) once "
              "the Secrets are in place, then rerun");
        Note("the existing APIManager picks up the Secrets and ConfigMaps at the rollouts");
      }
      return;
    }
    // Template install.
    cluster_.Do({"apply", "-f", set_.Path("system-smtp.json")});
    if (cluster_.Find("system-app") && !dry_) {
      Note("the template install exists already (system-app is there): oc new-app skipped");
      return;
    }
    const auto params = set_.TemplateParams();
    std::string display =
        ShellQuote(cluster_.Base()) + " new-app --file " + ShellQuote({o_.amp_template});
    for (const auto& [k, v] : params) display += " --param " + k + "=<" + k + ">";
    display += "   (values from the backed-up JSON, passed in a 0600 --param-file)";
    std::string file = "/tmp/restore-launcher-params.XXXXXX";
    std::vector<char> buf(file.begin(), file.end());
    buf.push_back('\0');
    int fd = -1;
    if (!dry_) {
      fd = mkstemp(buf.data());  // 0600
      if (fd < 0) throw Error(ErrorKind::kIo, "cannot create a parameter file in /tmp");
      file = buf.data();
      std::string text;
      for (const auto& [k, v] : params) text += k + "=" + v + "\n";
      const bool ok = write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
      close(fd);
      if (!ok) throw Error(ErrorKind::kIo, "cannot write " + file);
    }
    try {
      cluster_.Do({"new-app", "--file", o_.amp_template, "--param-file", file},
                  {.display = display});
    } catch (...) {
      if (!dry_) unlink(file.c_str());
      throw;
    }
    if (!dry_) unlink(file.c_str());
  }

  void StopWriters() {
    std::vector<Workload> stopped;
    for (const auto& name : kWriters) {
      const auto w = cluster_.Find(name);
      if (!w) {
        Note(name + " does not exist: nothing to stop");
        continue;
      }
      if (!journal_.Fact("replicas/" + name)) Fact("replicas/" + name, w->replicas);
      Note(name + ": " +
           (w->replicas < 0 ? std::string("<current>") : std::to_string(w->replicas)) +
           " replicas remembered in the journal");
      cluster_.Scale(*w, 0);
      stopped.push_back(*w);
    }
    for (const auto& w : stopped) cluster_.WaitNoPods(w);
  }

  void StartWriters() {
    std::vector<Workload> started;
    for (const auto& name : kWriters) {
      auto w = cluster_.Find(name);
      if (!w) continue;
      const auto n = journal_.Fact("replicas/" + name);
      if (!n && dry_) {
        cluster_.Do({"scale", w->ref(), "--replicas=<remembered count>"});
        started.push_back(*w);
        continue;
      }
      const int replicas = n ? n->get<int>() : std::max(w->replicas, 1);
      if (!n) Note(name + ": no replica count remembered; using " + std::to_string(replicas));
      cluster_.Scale(*w, replicas);
      if (replicas > 0) started.push_back(*w);
    }
    for (const auto& w : started) cluster_.RolloutStatus(w);
    for (const auto& name : kWriters) Forget("replicas/" + name);
  }

  void SystemMysql() {
    const DatabaseUrl db = set_.SystemDatabase();
    const Workload w = cluster_.Require("system-mysql");
    const std::string pod = cluster_.PodOf(w);
    CopyAgent(pod);
    // 127.0.0.1: the server of this pod (MYSQL_TCP_PORT, if the pod sets it, else 3306); the
    // root password from the pod's own MYSQL_ROOT_PASSWORD, never on a command line.
    cluster_.Do(Agent(pod, true,
                      {"restore-mysql", "--host", "127.0.0.1", "--user", "root", "--password-env",
                       "MYSQL_ROOT_PASSWORD", "--database", db.database, "--create-database",
                       "--wait", "120", "-"}),
                {.stdin_file = set_.Path(kMysqlBackup), .echo = true});
  }

  // Operator: .spec.zync saved, then patched to 0 replicas; template: zync and zync-que scaled.
  void ZyncDatabase() {
    std::string apimanager;
    std::vector<Workload> zync;
    if (mode_.rfind("operator", 0) == 0) {
      const auto am = cluster_.Get({"apimanager"});
      if (am && !(*am)["items"].empty()) {
        const auto& item = (*am)["items"][0];
        apimanager = item["metadata"]["name"].get<std::string>();
        if (!journal_.Fact("zync/spec"))
          Fact("zync/spec",
               item["spec"].contains("zync") ? item["spec"]["zync"] : nlohmann::json::object());
      } else if (dry_) {
        apimanager = "<apimanager>";
      } else {
        throw ClusterError("operator install but no APIManager found");
      }
      cluster_.Do({"patch", "apimanager/" + apimanager, "--type", "merge", "-p",
                   R"({"spec":{"zync":{"appSpec":{"replicas":0},"queSpec":{"replicas":0}}}})"});
      for (const char* name : {"zync", "zync-que"})
        if (auto w = cluster_.Find(name)) zync.push_back(*w);
    } else {
      for (const char* name : {"zync", "zync-que"}) {
        auto w = cluster_.Find(name);
        if (!w) {
          Note(std::string(name) + " does not exist: nothing to stop");
          continue;
        }
        if (!journal_.Fact(std::string("replicas/") + name))
          Fact(std::string("replicas/") + name, w->replicas);
        cluster_.Scale(*w, 0);
        zync.push_back(*w);
      }
    }
    try {
      for (const auto& w : zync) cluster_.WaitNoPods(w);
      const Workload db = cluster_.Require("zync-database");
      const std::string pod = cluster_.PodOf(db);
      CopyAgent(pod);
      cluster_.Do(Agent(pod, true, {"restore-postgres", "--wait", "120", "-"}),
                  {.stdin_file = set_.Path(kZyncBackup), .echo = true});
    } catch (...) {
      std::cout << "  # the zync-database restore failed: putting zync and zync-que back first"
                << std::endl;
      try {
        PutZyncBack(apimanager, zync);
      } catch (const std::exception& e) {
        std::cout << "  # PUTTING ZYNC BACK FAILED TOO: " << e.what()
                  << "\n  # the counts are in the journal; a rerun puts them back" << std::endl;
      }
      throw;
    }
    PutZyncBack(apimanager, zync);
  }

  void PutZyncBack(const std::string& apimanager, const std::vector<Workload>& zync) {
    if (mode_.rfind("operator", 0) == 0) {
      nlohmann::json spec = journal_.Fact("zync/spec").value_or(nlohmann::json::object());
      // A merge patch keeps keys it does not name: replicas the saved spec left unset are
      // removed (null) so that the operator's default applies again, not our 0.
      for (const char* part : {"appSpec", "queSpec"}) {
        if (!spec.contains(part) || !spec[part].is_object())
          spec[part] = nullptr;  // it was not there: remove what our patch added
        else if (!spec[part].contains("replicas"))
          spec[part]["replicas"] = nullptr;
      }
      cluster_.Do({"patch", "apimanager/" + apimanager, "--type", "merge", "-p",
                   nlohmann::json({{"spec", {{"zync", spec}}}}).dump()},
                  {.cleanup = true});
      Forget("zync/spec");
      return;
    }
    for (const auto& w : zync) {
      const auto n = journal_.Fact("replicas/" + w.name);
      cluster_.Scale(w, n ? n->get<int>() : std::max(w.replicas, 1), /*cleanup=*/true);
      Forget("replicas/" + w.name);
    }
  }

  void Redis(const std::string& name, const char* backup) {
    const Workload w = cluster_.Require(name);
    const std::string remote = o_.redis_data_dir + "/restore-agent-backup.rdb";
    const std::string method = RedisMethod(w, backup);
    if (method == "sync") {
      const std::string pod = cluster_.PodOf(w);
      CopyAgent(pod);
      cluster_.Do({"cp", set_.Path(backup), pod + ":" + remote});
      cluster_.Do(Agent(pod, false, {"restore-redis", "sync", remote}), {.echo = true});
      cluster_.Do({"exec", pod, "--", "rm", "-f", remote});
      Forget("method/" + name);
      return;
    }
    if (method == "replay") {
      const std::string pod = cluster_.PodOf(w);
      CopyAgent(pod);
      cluster_.Do({"cp", set_.Path(backup), pod + ":" + remote});
      cluster_.Do(Agent(pod, false, {"restore-redis", "replay", "--flush-target-dbs", remote}),
                  {.echo = true});
      cluster_.Do({"exec", pod, "--", "rm", "-f", remote});
      return;
    }
    const std::string fact = "swapped/" + name;
    if (!journal_.Fact(fact)) {
      const std::string pod = cluster_.PodOf(w);
      CopyAgent(pod);
      cluster_.Do({"cp", set_.Path(backup), pod + ":" + remote});
      cluster_.Do(Agent(pod, false, {"restore-redis", "swap", "--as-aof-base", remote}),
                  {.echo = true});
      Fact(fact, true);
    } else {
      Note("the swap was made by an earlier run: rolling out and finishing");
    }
    cluster_.Rollout(w);  // Redis starts on the backup
    const std::string pod = cluster_.PodOf(w);
    CopyAgent(pod);
    cluster_.Do(Agent(pod, false, {"restore-redis", "finish", "--wait", "300"}), {.echo = true});
    cluster_.Do({"exec", pod, "--", "rm", "-f", remote});
    Forget(fact);
    Forget("method/" + name);
  }

  void SystemStorage() {
    const Workload w = cluster_.Require("system-app");
    const std::string pod = cluster_.PodOf(w);
    const std::string local = set_.Path(kStorageDir);
    if (cluster_.options().cli.find("kubectl") != std::string::npos)
      cluster_.Do({"cp", local + "/.", pod + ":" + o_.storage_path});
    else
      cluster_.Do({"rsync", local + "/", pod + ":" + o_.storage_path});
    const TreeStats want = StatTree(local);
    CopyAgent(pod);
    const RunResult r = cluster_.Do(Agent(pod, false, {"inspect", "--json", o_.storage_path}));
    if (dry_) {
      Note("then compare with the backup: " + std::to_string(want.files) + " files, " +
           std::to_string(want.bytes) + " bytes");
      return;
    }
    const nlohmann::json got = nlohmann::json::parse(r.out, nullptr, false);
    if (got.is_discarded())
      throw ClusterError("the agent's inspect of the storage printed no JSON");
    const uint64_t files = got.value("files", 0ULL), bytes = got.value("bytes", 0ULL);
    const std::string line = "system-storage: " + std::to_string(files) + " files, " +
                             std::to_string(bytes) + " bytes in the pod; the backup has " +
                             std::to_string(want.files) + " files, " + std::to_string(want.bytes) +
                             " bytes";
    if (files < want.files || bytes < want.bytes) throw ClusterError(line + ": files are missing");
    Note(line + (files == want.files && bytes == want.bytes
                     ? ": they match"
                     : ": the pod holds more (files that were there before are kept)"));
  }

  void Rollouts() {
    for (const auto& name : kRollouts) {
      const auto w = cluster_.Find(name);
      if (!w) {
        Note(name + " does not exist in this install: skipped");
        continue;
      }
      cluster_.Rollout(*w);
    }
  }

  void Resync() {
    const Workload w = cluster_.Require("system-sidekiq");
    const std::string pod = cluster_.PodOf(w);
    cluster_.Do({"exec", pod, "--", "bundle", "exec", "rake", "zync:resync:domains"},
                {.echo = true});
  }

  const LauncherOptions& o_;
  BackupSet set_;
  Journal journal_;
  Cluster cluster_;
  bool dry_;
  std::string mode_;
};

std::vector<std::string> Split(const std::vector<std::string>& items) {
  std::vector<std::string> out;
  for (const auto& item : items) {
    size_t start = 0;
    while (start <= item.size()) {
      size_t end = item.find(',', start);
      if (end == std::string::npos) end = item.size();
      if (end > start) out.push_back(item.substr(start, end - start));
      start = end + 1;
    }
  }
  return out;
}

// The steps this invocation runs, and whether the journal decides which are skipped.
std::vector<Step> Select(const LauncherOptions& o, std::vector<Step> all, bool* use_journal) {
  std::set<std::string> known;
  for (const auto& s : all) known.insert(s.name);
  *use_journal = o.only.empty() && o.from.empty();
  if (!o.only.empty()) {
    const auto wanted = Split(o.only);
    for (const auto& w : wanted)
      if (!known.count(w)) throw Error(ErrorKind::kUsage, "--only: no step named '" + w + "'");
    std::vector<Step> out;
    for (auto& s : all)
      if (std::find(wanted.begin(), wanted.end(), s.name) != wanted.end()) out.push_back(s);
    return out;
  }
  if (!o.from.empty()) {
    if (!known.count(o.from))
      throw Error(ErrorKind::kUsage, "--from: no step named '" + o.from + "'");
    auto it = std::find_if(all.begin(), all.end(), [&](const Step& s) { return s.name == o.from; });
    return std::vector<Step>(it, all.end());
  }
  return all;
}

bool PrintChecks(const LauncherOptions& o) {
  const bool ok = BackupSet(o.backup_dir).PrintCheck(o.agent);
  if (!ok)
    std::cout << "The backup set is not restorable as it is: nothing was changed." << std::endl;
  return ok;
}

void PrintPlan(const LauncherOptions& o, const std::vector<Step>& steps, Procedure& dry,
               bool use_journal) {
  std::cout << "\nSteps (" << o.cluster.cli << (o.cluster.ns.empty() ? "" : " -n " + o.cluster.ns)
            << ", install: " << dry.mode() << ", redis: " << o.redis_mode << "):" << std::endl;
  int i = 0;
  for (const auto& s : steps) {
    ++i;
    const bool done = use_journal && dry.journal().Done(s.name);
    std::cout << "\n"
              << i << ". " << s.name << (done ? "  [done: skipped]" : "") << " -- " << s.title
              << std::endl;
    if (!done) s.run();
  }
  std::cout << std::endl;
}

}  // namespace

std::vector<std::string> StepNames() {
  LauncherOptions o;
  Procedure p(o, true);
  std::vector<std::string> out;
  for (const auto& s : p.Steps()) out.push_back(s.name);
  return out;
}

int RunPlan(const LauncherOptions& o) {
  if (!PrintChecks(o)) return kExitBadBackup;
  Procedure dry(o, true);
  dry.ResolveMode();
  bool use_journal = false;
  const auto steps = Select(o, dry.Steps(), &use_journal);
  PrintPlan(o, steps, dry, use_journal && !o.restart);
  return kExitOk;
}

int RunProcedure(const LauncherOptions& o) {
  if (!PrintChecks(o)) return kExitBadBackup;
  Procedure dry(o, true);
  dry.ResolveMode();
  Procedure live(o, false);
  live.ResolveMode();
  bool use_journal = false;
  const auto steps = Select(o, live.Steps(), &use_journal);
  const auto shown = Select(o, dry.Steps(), &use_journal);
  PrintPlan(o, shown, dry, use_journal && !o.restart);

  if (!o.yes) {
    if (!isatty(STDIN_FILENO)) {
      std::cerr << "restore-launcher: not asking on a non-terminal: pass --yes to run these steps"
                << std::endl;
      return kExitDeclined;
    }
    std::cout << "Type yes to run these steps: " << std::flush;
    std::string answer;
    std::getline(std::cin, answer);
    if (answer != "yes") {
      std::cout << "Nothing was done." << std::endl;
      return kExitDeclined;
    }
  }

  Journal& journal = live.journal();
  if (o.restart) journal.Restart();  // facts (remembered replicas) are kept
  if (use_journal && !journal.Empty()) {
    std::string done;
    for (const auto& s : steps)
      if (journal.Done(s.name)) done += (done.empty() ? "" : ", ") + s.name;
    std::cout << "Continuing from the journal " << journal.path() << ": done earlier: " << done
              << " (--restart starts over)" << std::endl;
  }
  int i = 0;
  std::vector<std::string> finished;
  for (const auto& s : steps) {
    ++i;
    if (use_journal && journal.Done(s.name)) continue;
    std::cout << "\n== [" << i << "/" << steps.size() << "] " << s.name << ": " << s.title
              << std::endl;
    try {
      if (StopRequested()) throw Error(ErrorKind::kInterrupted, "interrupted", StopSignal());
      s.run();
      if (StopRequested()) throw Error(ErrorKind::kInterrupted, "interrupted", StopSignal());
    } catch (const std::exception& e) {
      std::cout << "\nSTOPPED at step '" << s.name << "': " << e.what() << std::endl;
      std::cout << "Finished in this run: " << (finished.empty() ? "none" : "");
      for (size_t k = 0; k < finished.size(); ++k) std::cout << (k ? ", " : "") << finished[k];
      std::cout << ".\nThe journal " << journal.path() << " records it: run the same "
                << "command again to continue from '" << s.name << "' (--restart starts over)."
                << std::endl;
      if (auto* err = dynamic_cast<const Error*>(&e); err && err->kind() == ErrorKind::kInterrupted)
        return ExitCodeFor(ErrorKind::kInterrupted, err->signal());
      return kExitStepFailed;
    }
    journal.MarkDone(s.name);
    finished.push_back(s.name);
  }
  std::cout << "\nAll " << steps.size() << " steps done"
            << (finished.size() < steps.size()
                    ? " (" + std::to_string(finished.size()) + " in this run, the rest earlier)"
                    : "")
            << "." << std::endl;
  return kExitOk;
}

}  // namespace ra::launcher
