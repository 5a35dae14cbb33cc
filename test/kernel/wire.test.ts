import { describe, expect, it } from "vitest";
import { endpoint, parseConnection } from "../../kernel/wire/connection.js";
import { codePointToIndex, indexToCodePoint } from "../../kernel/session/code-points.js";

const good = {
  transport: "tcp",
  ip: "127.0.0.1",
  shell_port: 1,
  iopub_port: 2,
  stdin_port: 3,
  control_port: 4,
  hb_port: 5,
  key: "k",
  signature_scheme: "hmac-sha256",
};

describe("connection file", () => {
  it("accepts a jupyter_client connection file and builds endpoints", () => {
    const c = parseConnection(good);
    expect(endpoint(c, "hb")).toBe("tcp://127.0.0.1:5");
    expect(endpoint({ ...c, transport: "ipc", ip: "/tmp/k" }, "shell")).toBe("ipc:///tmp/k-1");
  });

  it("names the file and the field that is wrong", () => {
    expect(() => parseConnection({ ...good, iopub_port: "2" }, "conn.json")).toThrow(
      /conn\.json: iopub_port must be an integer port, found "2"/,
    );
    expect(() => parseConnection({ ...good, transport: "udp" }, "c.json")).toThrow(/transport must be "tcp" or "ipc"/);
    expect(() => parseConnection([], "c.json")).toThrow(/expected a JSON object/);
  });
});

describe("code points", () => {
  it("round-trips positions around astral characters", () => {
    const s = "a😀b😀c";
    for (let cp = 0; cp <= [...s].length; cp++) expect(indexToCodePoint(s, codePointToIndex(s, cp))).toBe(cp);
    expect(s.slice(codePointToIndex(s, 2))).toBe("b😀c");
  });
});
