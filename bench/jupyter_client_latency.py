"""Trivial-cell round trip of several Jupyter kernels, measured by jupyter_client side by side.

    /usr/bin/python3 bench/jupyter_client_latency.py --cells 200 --rounds 10 \
        --kernel 'peft-nb=["node", "bin/peft-nb.js", "kernel", "--connection-file", "{connection_file}"]' \
        --kernel 'tslab=["node", "node_modules/tslab/bin/tslab", "kernel", "--config-path", "{connection_file}"]'

Round trip: execute_request sent -> execute_reply and the request's idle status both received,
as a notebook frontend waits for them. The kernels run at the same time and take turns in small
blocks (the order alternating per round, a quiet second after each block), so the machine's
load drifts over all of them alike.
Prints one line per kernel and cell kind, then JSON (--json) for callers.
"""

import argparse
import json
import os
import queue
import statistics
import sys
import tempfile
import time


def parse_kernel(spec):
    name, _, argv = spec.partition("=")
    if not name or not argv:
        raise SystemExit(f"--kernel: expected NAME=JSON_ARGV, found {spec!r}")
    try:
        cmd = json.loads(argv)
    except json.JSONDecodeError as err:
        raise SystemExit(f"--kernel {name}: argv is not JSON: {err}")
    if not isinstance(cmd, list) or not all(isinstance(a, str) for a in cmd):
        raise SystemExit(f"--kernel {name}: argv must be a JSON list of strings")
    return name, cmd


def write_kernelspecs(kernels, root):
    """A private JUPYTER_PATH with one kernelspec per kernel, so jupyter_client starts each normally."""
    for name, argv in kernels:
        folder = os.path.join(root, "kernels", name)
        os.makedirs(folder)
        with open(os.path.join(folder, "kernel.json"), "w") as f:
            json.dump({"argv": argv, "display_name": name, "language": "typescript"}, f)


class IdleLost(Exception):
    """The reply came but the request's idle status did not (tslab drops one now and then)."""


def round_trip(kc, code, timeout, idle_grace=2.0):
    t0 = time.perf_counter()
    msg_id = kc.execute(code, store_history=True)
    while True:
        reply = kc.get_shell_msg(timeout=timeout)
        if reply["parent_header"].get("msg_id") == msg_id:
            break
    if reply["content"].get("status") != "ok":
        raise RuntimeError(f"{code!r} failed: {reply['content']}")
    while True:
        try:
            m = kc.get_iopub_msg(timeout=idle_grace)
        except queue.Empty:
            raise IdleLost() from None
        if (
            m["parent_header"].get("msg_id") == msg_id
            and m["msg_type"] == "status"
            and m["content"]["execution_state"] == "idle"
        ):
            return (time.perf_counter() - t0) * 1000


def process_tree_cpu_ms(pid):
    """User + system CPU of a process and all its descendants (Linux /proc), in milliseconds."""
    children, cpu = {}, {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        children.setdefault(int(fields[1]), []).append(int(entry))
        cpu[int(entry)] = int(fields[11]) + int(fields[12])
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        total += cpu.get(p, 0)
        todo.extend(children.get(p, []))
    return total * 1000 / os.sysconf("SC_CLK_TCK")


def quantile(xs, q):
    s = sorted(xs)
    return s[min(len(s) - 1, int(q * len(s)))]


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--kernel", action="append", required=True, help="NAME=JSON_ARGV with {connection_file}")
    p.add_argument("--cells", type=int, default=200, help="measured cells per kernel and kind")
    p.add_argument("--rounds", type=int, default=10, help="turns each kernel takes")
    p.add_argument("--warmup", type=int, default=30)
    p.add_argument(
        "--settle", type=float, default=1.0, help="seconds of quiet after each block (background work ends)"
    )
    p.add_argument("--cwd", default=os.getcwd())
    p.add_argument(
        "--kinds", default="1,distinct", help="cells to time: 1 (the same trivial cell), distinct (n + 1), or both"
    )
    p.add_argument("--json", action="store_true")
    args = p.parse_args()
    kernels = [parse_kernel(k) for k in args.kernel]
    kinds = [k for k in args.kinds.split(",") if k]
    if not kinds or any(k not in ("1", "distinct") for k in kinds):
        raise SystemExit(f"--kinds: expected 1, distinct or both, found {args.kinds!r}")

    root = tempfile.mkdtemp(prefix="bench-jc-")
    write_kernelspecs(kernels, root)
    os.environ["JUPYTER_PATH"] = root
    os.environ.setdefault("PEFT_NB_HISTORY_FILE", os.path.join(root, "history.jsonl"))
    from jupyter_client.manager import start_new_kernel

    clients = {}
    try:
        for name, _ in kernels:
            km, kc = start_new_kernel(kernel_name=name, startup_timeout=120, cwd=args.cwd)
            clients[name] = (km, kc)
            for i in range(args.warmup):
                for code in ("1", f"{i} + 1"):
                    try:
                        round_trip(kc, code, 300)
                    except IdleLost:
                        pass
        time.sleep(3 * args.settle)  # start-up work (loading TypeScript) ends before measuring
        samples = {(name, kind): [] for name, _ in kernels for kind in kinds}
        lost = {name: 0 for name, _ in kernels}
        cpu_ms = {name: 0.0 for name, _ in kernels}
        block = max(1, args.cells // args.rounds)
        n = 0
        for r in range(args.rounds):
            order = kernels if r % 2 == 0 else kernels[::-1]
            for name, _ in order:
                km, kc = clients[name]
                cpu0 = process_tree_cpu_ms(km.provisioner.process.pid)
                for i in range(block):
                    # Distinct cells defeat any per-cell caching.
                    for kind in kinds:
                        code = "1" if kind == "1" else f"{n + i} + 1"
                        try:
                            samples[(name, kind)].append(round_trip(kc, code, 60))
                        except IdleLost:
                            lost[name] += 1
                # A kernel's leftover background work (type checks) must not slow the next one;
                # it still counts in the kernel's CPU time.
                time.sleep(args.settle)
                cpu_ms[name] += process_tree_cpu_ms(km.provisioner.process.pid) - cpu0
            n += block
    finally:
        for km, kc in clients.values():
            kc.stop_channels()
            km.shutdown_kernel(now=False)

    figures = {}
    for (name, kind), xs in samples.items():
        f = {
            "p50": quantile(xs, 0.5),
            "p90": quantile(xs, 0.9),
            "p99": quantile(xs, 0.99),
            "mean": statistics.fmean(xs),
            "n": len(xs),
            "idle_lost": lost[name],
            # both kinds together: the kernel's CPU is not split by cell kind
            "cpu_ms_per_cell": cpu_ms[name] / sum(len(samples[(name, k)]) for k in kinds),
        }
        figures.setdefault(name, {})[kind] = f
        label = '"1"' if kind == "1" else "distinct"
        print(
            f"{name:8} cell {label:9} p50 {f['p50']:6.2f} ms  p90 {f['p90']:6.2f} ms  "
            f"p99 {f['p99']:6.2f} ms  mean {f['mean']:6.2f} ms  (n={f['n']})"
            + (f"  kernel CPU {f['cpu_ms_per_cell']:.2f} ms/cell ({'+'.join(kinds)})" if kind == kinds[-1] else "")
            + (f"  [{lost[name]} idle statuses never came: left out]" if lost[name] else ""),
            file=sys.stderr if args.json else sys.stdout,
        )
    if args.json:
        print(json.dumps(figures))


if __name__ == "__main__":
    main()
