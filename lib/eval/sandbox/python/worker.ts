// Python source of the worker: the untrusted side. It runs prompt + completion, then answers the
// checker's calls of the entry point with plain values. Nothing it sends can do more than be a
// return value or an exception name; it never sees the test, the expected results or the nonce.
import { CODEC_PY } from "./codec.js";

const WORKER_MAIN = `
import sys
if sys.path and sys.path[0] == "":
    del sys.path[0]
_REQ, _RESP = int(sys.argv[1]), int(sys.argv[2])


def _describe(e):
    try:
        text = str(e)
    except BaseException:
        text = ""
    return [type(e).__name__, text[:2000]]


def _serve():
    job = recv(_REQ)
    if job is None or job[0] != "load":
        return
    _, source, entry, guard = job
    exec(guard, {"__name__": "_peft_guard"})
    namespace = {}
    try:
        exec(compile(source, "candidate.py", "exec"), namespace)
        fn = namespace[entry]
    except BaseException as e:
        send(_RESP, ["error"] + _describe(e))
        return
    send(_RESP, ["ready"])
    while True:
        msg = recv(_REQ)
        if msg is None:
            return
        if msg[0] == "ping":
            send(_RESP, ["pong", msg[1]])
            continue
        _, seq, args, kwargs = msg
        try:
            reply = ["ok", seq, encode(fn(*decode(args), **decode(kwargs)))]
        except BaseException as e:
            reply = ["raise", seq] + _describe(e)
        send(_RESP, reply)


_serve()
`;

export const WORKER_PY = `${CODEC_PY}\n${WORKER_MAIN}`;
