// Python source of the isolation probe: run once inside the sandbox exactly as programs are, it
// reports what the sandbox really provides, so results state measured facts, not intentions.
// argv[1]: JSON list of host paths that must not be visible.
export const PROBE_PY = `
import json, os, resource, socket, sys, time

out = {"pid": os.getpid()}
out["ns"] = {}
for name in ("pid", "net", "ipc", "mnt", "user"):
    try:
        out["ns"][name] = os.readlink("/proc/self/ns/" + name)
    except OSError:
        out["ns"][name] = None
out["interfaces"] = [name for _, name in socket.if_nameindex()]
out["visible"] = [p for p in json.loads(sys.argv[1]) if os.path.lexists(p)]
writable = []
for d in ("/", "/usr"):
    try:
        os.mkdir(os.path.join(d, ".peft-probe"))
        writable.append(d)
    except OSError:
        pass
out["writable"] = writable
# RLIMIT_NPROC counted in this sandbox's own user namespace lets a limit of 4 admit exactly 3 children;
# counted per uid across the host (kernels before 5.14) it admits none or all.
resource.setrlimit(resource.RLIMIT_NPROC, (4, 4))
children = []
for _ in range(8):
    try:
        pid = os.fork()
    except OSError:
        continue
    if pid == 0:
        time.sleep(0.2)
        os._exit(0)
    children.append(pid)
for pid in children:
    os.waitpid(pid, 0)
out["forks"] = len(children)
print(json.dumps(out))
`;
