// Python source: resource limits, set by trusted code before any untrusted code runs. Soft and hard
// limits are set equal, so the program cannot raise them again.
export const LIMITS_PY = `
import resource as _resource


def apply_limits(lim):
    def one(res, value):
        if value is None:
            return
        _, hard = _resource.getrlimit(res)
        if hard != _resource.RLIM_INFINITY:
            value = min(value, hard)
        _resource.setrlimit(res, (value, value))

    one(_resource.RLIMIT_CORE, 0)
    one(_resource.RLIMIT_AS, lim["memoryBytes"])
    one(_resource.RLIMIT_CPU, lim["cpuSeconds"])
    one(_resource.RLIMIT_FSIZE, lim["fileBytes"])
    one(_resource.RLIMIT_NPROC, lim["processes"])
`;
