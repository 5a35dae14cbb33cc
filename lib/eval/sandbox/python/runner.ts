// Python source of the plain program runner (runPythonSandboxed): limits, guard, then the program
// as __main__. Its exit status is the program's; it gives no HumanEval verdict.
import { LIMITS_PY } from "./limits.js";

const RUNNER_MAIN = `
import sys
if sys.path and sys.path[0] == "":
    del sys.path[0]
import builtins, json

_job = json.loads(sys.stdin.buffer.read())
apply_limits(_job["limits"])
exec(_job["guardSource"], {"__name__": "_peft_guard"})
exec(compile(_job["source"], "program.py", "exec"), {"__name__": "__main__", "__builtins__": builtins})
`;

export const RUNNER_PY = `${LIMITS_PY}\n${RUNNER_MAIN}`;
