#!/usr/bin/env python3
"""A fake `oc` / `kubectl` for restore-launcher's end-to-end test: the commands the launcher uses,
mapped onto this machine. No cluster, no containers.

- A workload (DeploymentConfig or Deployment) is an entry of a state file with its replicas and
  selector; a pod is a local directory (the pod's filesystem root, kept across rollouts like a
  volume, but with its /tmp wiped) plus, for the data pods, a local server of the test harness.
- `exec [-i] POD -- CMD...` runs CMD here with the pod's environment (which points the agent at
  the pod's local server); arguments that are absolute paths into /tmp, /var or /opt are mapped
  into the pod's directory.
- `cp` and `rsync` copy files into the pod's directory; `scale`, `patch`, `apply`, `new-app`
  update the state; `rollout` of a Redis restarts its local redis-server.
- Every call is appended to calls.jsonl in the state dir (FAKE_OC_STATE).
- FAKE_OC_FAIL=VERB:WORKLOAD makes the first such call fail (e.g. exec:zync-database), once.
"""
import fcntl
import json
import os
import shutil
import signal
import subprocess
import sys
import time

STATE_DIR = os.environ.get("FAKE_OC_STATE", "")


def state_path():
    return os.path.join(STATE_DIR, "state.json")


def load():
    with open(state_path()) as f:
        return json.load(f)


def save(state):
    tmp = state_path() + ".tmp"
    with open(tmp, "w") as f:
        json.dump(state, f, indent=1)
    os.replace(tmp, state_path())


def pod_root(name):
    return os.path.join(STATE_DIR, "pods", name)


# --- the world, as the test sets it up -----------------------------------------------------

def new_world(state_dir, operator, kind):
    os.makedirs(os.path.join(state_dir, "pods"), exist_ok=True)
    state = {"operator": operator, "kind": kind, "workloads": {}, "pending": {}, "applied": [],
             "new_app": None, "apimanager": None}
    if operator:
        state["apimanager"] = {"metadata": {"name": "3scale"},
                               "spec": {"wildcardDomain": "apps.example.com",
                                        "zync": {"appSpec": {"replicas": 2}}}}
    with open(os.path.join(state_dir, "state.json"), "w") as f:
        json.dump(state, f)
    return state


def add_workload(state_dir, name, replicas=1, env=None, server=None, pending=False):
    """A workload with one pod directory; `server` = {"cmd": [...], "pid": N, "ping": [...]}.
    `pending`: created only by `new-app` (a template install that does not exist yet)."""
    path = os.path.join(state_dir, "state.json")
    with open(path) as f:
        state = json.load(f)
    label = {"deploymentConfig": name} if state["kind"] == "dc" else {
        "app": "3scale-api-management", "threescale_component_element": name}
    state["pending" if pending else "workloads"][name] = {
        "replicas": replicas, "labels": label, "generation": 1, "env": env or {}, "server": server}
    os.makedirs(os.path.join(state_dir, "pods", name), exist_ok=True)
    with open(path, "w") as f:
        json.dump(state, f)


# --- helpers -------------------------------------------------------------------------------

def fail(msg, code=1):
    sys.stderr.write(msg + "\n")
    sys.exit(code)


def effective_replicas(state, name):
    w = state["workloads"][name]
    if state["operator"] and name in ("zync", "zync-que") and state["apimanager"]:
        part = "appSpec" if name == "zync" else "queSpec"
        spec = state["apimanager"]["spec"].get("zync", {}).get(part, {})
        return spec.get("replicas", 1)
    return w["replicas"]


def pod_name(name, w):
    return f"{name}-{w['generation']}-x7k2p"


def pod_of(state, pod):
    for name, w in state["workloads"].items():
        if pod == pod_name(name, w):
            if effective_replicas(state, name) <= 0:
                fail(f'Error from server (NotFound): pods "{pod}" not found')
            return name, w
    fail(f'Error from server (NotFound): pods "{pod}" not found')


def injected(verb, workload):
    want = os.environ.get("FAKE_OC_FAIL", "")
    marker = os.path.join(STATE_DIR, "failed-once")
    if want == f"{verb}:{workload}" and not os.path.exists(marker):
        open(marker, "w").close()
        return True
    return False


def map_path(name, arg):
    if arg.startswith("/") and arg.split("/")[1] in ("tmp", "var", "opt"):
        return pod_root(name) + arg
    return arg


def workload_ref(state, ref):
    kind, _, name = ref.partition("/")
    kinds = {"dc": "dc", "deploymentconfig": "dc", "deployment": "deployment",
             "deployments": "deployment", "deploymentconfigs": "dc"}
    if kinds.get(kind) != state["kind"] or name not in state["workloads"]:
        fail(f'Error from server (NotFound): {kind} "{name}" not found')
    return name


def merge_patch(target, patch):
    if not isinstance(patch, dict):
        return patch
    target = dict(target) if isinstance(target, dict) else {}
    for k, v in patch.items():
        if v is None:
            target.pop(k, None)
        else:
            target[k] = merge_patch(target.get(k), v)
    return target


def alive(pid):
    """Running (a zombie whose parent has not reaped it yet has exited)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def restart_server(w):
    server = w.get("server")
    if not server:
        return
    try:
        os.kill(server["pid"], signal.SIGTERM)
        for _ in range(300):
            if not alive(server["pid"]):
                break
            time.sleep(0.05)
    except ProcessLookupError:
        pass
    log = open(server["log"], "ab")
    proc = subprocess.Popen(server["cmd"], stdout=log, stderr=log, start_new_session=True)
    server["pid"] = proc.pid
    for _ in range(600):
        if subprocess.run(server["ping"], stdout=subprocess.PIPE,
                          stderr=subprocess.DEVNULL).stdout.strip() == b"PONG":
            return
        time.sleep(0.05)
    fail("redis did not come back after the rollout")


# --- commands ------------------------------------------------------------------------------

def cmd_get(state, args):
    what = args[0]
    if what in ("apimanager", "apimanagers"):
        if not state["operator"]:
            fail('error: the server doesn\'t have a resource type "apimanager"')
        am = dict(state["apimanager"], apiVersion="apps.3scale.net/v1alpha1", kind="APIManager")
        print(json.dumps({"items": [am]}))
        return
    if what == "pods":
        selector = dict(kv.split("=", 1) for kv in args[args.index("-l") + 1].split(","))
        items = []
        for name, w in state["workloads"].items():
            if all(w["labels"].get(k) == v for k, v in selector.items()) and \
                    effective_replicas(state, name) > 0:
                items.append({"metadata": {"name": pod_name(name, w), "labels": w["labels"]},
                              "status": {"phase": "Running",
                                         "containerStatuses": [{"name": name, "ready": True}]}})
        print(json.dumps({"items": items}))
        return
    name = workload_ref(state, what)
    w = state["workloads"][name]
    spec = {"replicas": effective_replicas(state, name)}
    spec["selector"] = w["labels"] if state["kind"] == "dc" else {"matchLabels": w["labels"]}
    print(json.dumps({"metadata": {"name": name}, "spec": spec}))


def cmd_exec(state, args):
    args = [a for a in args if a != "-i"]
    if "-c" in args:
        i = args.index("-c")
        del args[i:i + 2]
    sep = args.index("--")
    pod, cmd = args[0], args[sep + 1:]
    name, w = pod_of(state, pod)
    if injected("exec", name):
        fail(f"error: injected failure of exec in {pod}", 137)
    if cmd[:2] == ["bundle", "exec"]:
        print("rake " + " ".join(cmd[2:]) + ": done (fake)")
        return 0
    env = dict(os.environ, **w["env"])
    env.pop("FAKE_OC_FAIL", None)
    return subprocess.run([map_path(name, a) for a in cmd], env=env).returncode


def copy_into(state, src, dest, contents_only):
    pod, _, path = dest.partition(":")
    name, _ = pod_of(state, pod)
    target = pod_root(name) + path
    if os.path.isdir(src):
        os.makedirs(target, exist_ok=True)
        base = src.rstrip("/.") if contents_only else src
        dst = target if contents_only else os.path.join(target, os.path.basename(src.rstrip("/")))
        shutil.copytree(base, dst, dirs_exist_ok=True, symlinks=True)
    else:
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copy2(src, target)


def main():
    argv = sys.argv[1:]
    namespace = None
    if "-n" in argv:
        i = argv.index("-n")
        namespace = argv[i + 1]
        del argv[i:i + 2]
    with open(os.path.join(STATE_DIR, "calls.jsonl"), "a") as log:
        log.write(json.dumps({"cli": os.path.basename(sys.argv[0]), "namespace": namespace,
                              "args": argv, "t": round(time.time(), 3)}) + "\n")
    lock = open(os.path.join(STATE_DIR, "lock"), "w")
    fcntl.flock(lock, fcntl.LOCK_EX)
    state = load()
    verb, args = argv[0], argv[1:]
    rc = 0
    if verb == "get":
        cmd_get(state, args)
    elif verb == "exec":
        fcntl.flock(lock, fcntl.LOCK_UN)  # restores take a while
        rc = cmd_exec(state, args)
    elif verb == "cp":
        copy_into(state, args[0], args[1], contents_only=args[0].endswith("/."))
    elif verb == "rsync":
        copy_into(state, args[0], args[1], contents_only=args[0].endswith("/"))
    elif verb == "scale":
        name = workload_ref(state, args[0])
        n = int([a for a in args if a.startswith("--replicas=")][0].split("=")[1])
        if injected("scale", name):
            fail("error: injected failure of scale")
        state["workloads"][name]["replicas"] = n
        print(f"{args[0]} scaled")
    elif verb == "patch":
        patch = json.loads(args[args.index("-p") + 1])
        state["apimanager"] = merge_patch(state["apimanager"], patch)
        print(f"{args[0]} patched")
    elif verb == "apply":
        with open(args[args.index("-f") + 1]) as f:
            obj = json.load(f)
        state["applied"].append(f"{obj['kind']}/{obj['metadata']['name']}")
        print(f"{obj['kind'].lower()}/{obj['metadata']['name']} configured")
    elif verb == "new-app":
        with open(args[args.index("--param-file") + 1]) as f:
            params = dict(line.rstrip("\n").split("=", 1) for line in f if "=" in line)
        if state["workloads"]:
            fail("error: deploymentconfigs.apps.openshift.io \"system-app\" already exists")
        state["new_app"] = {"file": args[args.index("--file") + 1], "params": params}
        state["workloads"], state["pending"] = state["pending"], {}
        print("--> Creating resources ...")
    elif verb == "rollout":
        sub, ref = args[0], args[1]
        name = workload_ref(state, ref)
        w = state["workloads"][name]
        if sub in ("latest", "restart"):
            if injected("rollout", name):
                fail("error: injected failure of rollout")
            w["generation"] += 1
            shutil.rmtree(os.path.join(pod_root(name), "tmp"), ignore_errors=True)
            restart_server(w)
            print(f"{ref} restarted")
        elif sub == "status":
            print(f'{ref} successfully rolled out')
    else:
        fail(f"fake oc: unsupported command {verb}")
    save(state)
    return rc


if __name__ == "__main__":
    sys.exit(main())
