// Python source of the checker: the trusted process that runs a HumanEval task's own check function.
// It never executes candidate code. At its start, before it reads its job, it forks the worker (see
// worker.ts), which runs the candidate; the check calls the entry point through a proxy that sends
// plain values to the worker and gets plain values back. The pass verdict (with the run's nonce) goes
// to fd 3, which only the checker holds, and only after check() has returned and the worker has
// answered a final ping. The checker is non-dumpable, so the worker (same uid) cannot read its
// memory, environment or descriptors through /proc or ptrace; under bubblewrap it is also PID 1 of
// the sandbox, which ignores every signal sent from inside.
import { CODEC_PY } from "./codec.js";
import { LIMITS_PY } from "./limits.js";
import { WORKER_PY } from "./worker.js";

const CHECKER_MAIN = String.raw`
import sys
if sys.path and sys.path[0] == "":
    del sys.path[0]
import builtins, json, os, signal, time

try:
    import ctypes
    ctypes.CDLL(None).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE = 0
except Exception:
    pass
req_r, req_w = os.pipe()
resp_r, resp_w = os.pipe()
worker = os.fork()
if worker == 0:
    # The worker keeps stdout, stderr and its two pipe ends; stdin (the job) and fd 3 (the verdict)
    # are closed before the checker reads anything. Forking (no second interpreter) saves a start-up.
    try:
        devnull = os.open("/dev/null", os.O_RDONLY)
        os.dup2(devnull, 0)
        low = 3
        for fd in sorted((req_r, resp_w)):
            os.closerange(low, fd)
            low = fd + 1
        os.closerange(low, 1 << 16)
        worker_main(req_r, resp_w)
    finally:
        os._exit(0)
os.close(req_r)
os.close(resp_w)
signal.signal(signal.SIGINT, signal.SIG_IGN)

job = json.loads(sys.stdin.buffer.read())
VERDICT_FD = 3


def verdict(passed, reason=""):
    line = json.dumps({"nonce": job["nonce"], "passed": passed, "reason": reason[:2000]}) + "\n"
    os.write(VERDICT_FD, line.encode())
    os._exit(0)


class CandidateGone(BaseException):
    """The worker died, hung up or broke the protocol. A BaseException, so test code cannot catch it."""


class CandidateExit(BaseException):
    """The candidate raised SystemExit, KeyboardInterrupt or GeneratorExit during a call."""


apply_limits(job["limits"])
broken = []


def worker_state():
    for _ in range(20):
        pid, status = os.waitpid(worker, os.WNOHANG)
        if pid:
            if os.WIFEXITED(status):
                return "exit code " + str(os.WEXITSTATUS(status))
            return "killed by signal " + str(os.WTERMSIG(status))
        time.sleep(0.01)
    return "still running"


def exchange(msg):
    if broken:
        raise CandidateGone(broken[0])
    try:
        send(req_w, msg)
        reply = recv(resp_r)
    except (OSError, ValueError, UnicodeError, RecursionError, MemoryError) as e:
        reply = None
        broken.append("the candidate's channel failed (" + type(e).__name__ + ")")
    if reply is None and not broken:
        broken.append("the candidate's process ended the session (" + worker_state() + ")")
    if broken:
        raise CandidateGone(broken[0])
    return reply


def protocol_error():
    broken.append("the candidate broke the harness protocol")
    return CandidateGone(broken[0])


def rebuild(name, text):
    if name in ("SystemExit", "KeyboardInterrupt", "GeneratorExit"):
        broken.append("the candidate raised " + name + " during a call")
        return CandidateExit(broken[-1])
    cls = getattr(builtins, name, None)
    if isinstance(cls, type) and issubclass(cls, Exception):
        try:
            return cls(text)
        except Exception:
            pass
    return RuntimeError(name + ": " + text)


seq = [0]


def candidate(*args, **kwargs):
    seq[0] += 1
    reply = exchange(["call", seq[0], encode(list(args)), encode(kwargs)])
    if not isinstance(reply, list) or len(reply) < 3 or reply[1] != seq[0]:
        raise protocol_error()
    if reply[0] == "ok":
        try:
            return decode(reply[2])
        except (ValueError, TypeError, RecursionError, MemoryError):
            raise protocol_error()
    if reply[0] == "raise" and len(reply) == 4:
        raise rebuild(str(reply[2]), str(reply[3]))
    raise protocol_error()


def where(e):
    # the innermost frame of the test's own code (traceback would cost tens of ms to import)
    found, tb = None, e.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<test>":
            found = tb.tb_lineno
        tb = tb.tb_next
    if found is None:
        return ""
    lines = job["task"]["test"].splitlines()
    return " at test line " + str(found) + ": " + (lines[found - 1].strip() if 0 < found <= len(lines) else "")


task = job["task"]
try:
    reply = exchange(
        ["load", task["prompt"] + job["completion"], task["entryPoint"], job["guardSource"], job["limits"]]
    )
except CandidateGone as e:
    verdict(False, str(e))
if isinstance(reply, list) and len(reply) == 3 and reply[0] == "error":
    verdict(False, str(reply[1]) + (": " + str(reply[2]) if reply[2] else ""))
if reply != ["ready"]:
    verdict(False, str(protocol_error()))

candidate.__name__ = task["entryPoint"]
test_source = task["test"]
namespace = {}
try:
    exec(compile(task["prompt"], "<prompt>", "exec"), namespace)
    namespace[task["entryPoint"]] = candidate
    exec(compile(test_source, "<test>", "exec"), namespace)
    namespace["check"](candidate)
    seq[0] += 1
    if exchange(["ping", seq[0]]) != ["pong", seq[0]]:
        protocol_error()
except BaseException as e:
    text = str(e)
    verdict(False, (broken[0] if broken else type(e).__name__ + (": " + text if text else "")) + where(e))
if broken:
    verdict(False, broken[0])
verdict(True)
`;

export const CHECKER_PY = `${CODEC_PY}\n${LIMITS_PY}\n${WORKER_PY}\n${CHECKER_MAIN}`;
