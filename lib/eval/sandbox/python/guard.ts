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
];

/** The guard as a Python program; `blockSockets` also disables sockets (the fallback without namespaces). */
export function guardPy(blockSockets: boolean): string {
  const sockets = blockSockets
    ? `import socket\nsocket.socket = deny("socket.socket")\nsocket.create_connection = deny("socket.create_connection")\n`
    : "";
  return `import os, shutil, subprocess


def deny(name):
    def refuse(*args, **kwargs):
        raise PermissionError("sandbox: " + name + " is disabled")
    return refuse


for name in ${JSON.stringify(DENIED_OS)}:
    if hasattr(os, name):
        setattr(os, name, deny("os." + name))
for name in ("rmtree", "move", "chown"):
    setattr(shutil, name, deny("shutil." + name))
subprocess.Popen = deny("subprocess.Popen")
${sockets}`;
}
