// Python source of the worker side: the untrusted half. It is forked from the checker before the
// checker reads its job, so its copy of memory holds no nonce and no test. It keeps only its two pipe
// ends, stdout and stderr, runs prompt + completion, then answers the checker's calls of the entry
// point with plain values. Nothing it sends can be more than a return value or an exception name.
export const WORKER_PY = `
def _describe(e):
    try:
        text = str(e)
    except BaseException:
        text = ""
    return [type(e).__name__, text[:2000]]


def worker_main(req, resp):
    job = recv(req)
    if job is None or job[0] != "load":
        return
    _, source, entry, guard, limits = job
    apply_limits(limits)
    exec(guard, {"__name__": "_peft_guard"})
    namespace = {}
    try:
        exec(compile(source, "candidate.py", "exec"), namespace)
        fn = namespace[entry]
    except BaseException as e:
        send(resp, ["error"] + _describe(e))
        return
    send(resp, ["ready"])
    while True:
        msg = recv(req)
        if msg is None:
            return
        if msg[0] == "ping":
            send(resp, ["pong", msg[1]])
            continue
        _, seq, args, kwargs = msg
        try:
            reply = ["ok", seq, encode(fn(*decode(args), **decode(kwargs)))]
        except BaseException as e:
            reply = ["raise", seq] + _describe(e)
        send(resp, reply)
`;
