// A runtime that says ready, then spins on every cell and ignores SIGINT (like a cell stuck in
// a timer callback or native code), so the host must kill it.
process.on("SIGINT", () => {});
process.on("message", (msg) => {
  if (msg.t === "execute") {
    if (msg.code === "spin") for (;;);
    process.send({ t: "done", cell: msg.cell, result: { data: { "text/plain": `pid ${process.pid}` }, metadata: {} } });
  }
});
process.send({ t: "ready" });
