// Python source of the reliability guard (the idea of OpenAI human-eval's reliability_guard): it
// stops honest but careless code from deleting, killing or spawning. It is not a security boundary;
// any program can undo it (posix.fork, ctypes). With bubblewrap the namespaces are the boundary.

const DENIED_OS = [
  "system",
  "kill",
  "killpg",
  "remove",
  "unlink",
  "rmdir",
  "removedirs",
  "rename",
  "renames",
  "replace",
  "truncate",
  "fork",
  "forkpty",
  "execv",
  "execve",
  "execl",
  "execle",
  "execlp",
  "execvp",
  "execvpe",
  "spawnv",
  "spawnve",
  "popen",
  "putenv",
  "chmod",
  "chown",
  "lchown",
  "fchmod",
  "fchown",
  "setuid",
  "setgid",
  "chroot",
  "posix_spawn",
  "posix_spawnp",
];

/** The guard as a Python program; `blockSockets` also disables sockets (the fallback without namespaces). */
export function guardPy(blockSockets: boolean): string {
  const sockets = blockSockets
    ? `import socket\nsocket.socket = deny("socket.socket")\nsocket.create_connection = deny("socket.create_connection")\n`
    : "";
  // subprocess is not imported here (tens of ms per check): every child it starts goes through
  // _posixsubprocess.fork_exec, which subprocess binds when it is first imported, after this.
  return `import os, shutil, sys, _posixsubprocess


def deny(name):
    def refuse(*args, **kwargs):
        raise PermissionError("sandbox: " + name + " is disabled")
    return refuse


for name in ${JSON.stringify(DENIED_OS)}:
    if hasattr(os, name):
        setattr(os, name, deny("os." + name))
for name in ("rmtree", "move", "chown"):
    setattr(shutil, name, deny("shutil." + name))
_posixsubprocess.fork_exec = deny("subprocess")
if "subprocess" in sys.modules:
    sys.modules["subprocess"].Popen = deny("subprocess.Popen")
${sockets}`;
}
