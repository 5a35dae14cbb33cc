import { describe, expect, it } from "vitest";
import { endpoint, parseConnection } from "../../kernel/wire/connection.js";
import { codePointToIndex, indexToCodePoint } from "../../kernel/session/code-points.js";
import { DigestHistory } from "../../kernel/wire/digest-history.js";
import {
  ReplayedMessageError,
  createSigner,
  decodeMessage,
  encodeMessage,
  newHeader,
} from "../../kernel/wire/message.js";

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

describe("replayed messages", () => {
  const frames = (signer: ReturnType<typeof createSigner>, msgType = "kernel_info_request") =>
    encodeMessage(
      { identities: [], header: newHeader(msgType, "s"), parent_header: {}, metadata: {}, content: {} },
      signer,
    );

  it("a signed message decodes once; the same frames again are a replay", () => {
    const signer = createSigner("key");
    const history = new DigestHistory();
    const f = frames(signer);
    expect(decodeMessage(f, signer, history).header.msg_type).toBe("kernel_info_request");
    expect(() => decodeMessage(f, signer, history)).toThrow(ReplayedMessageError);
    expect(decodeMessage(frames(signer), signer, history).header.msg_type).toBe("kernel_info_request");
    // A forgery is rejected before it can enter the history.
    expect(() => decodeMessage(frames(createSigner("other")), signer, history)).toThrow(/invalid message signature/);
    expect(history.size).toBe(2);
    // Unsigned sessions have nothing to compare.
    const open = createSigner("");
    const u = frames(open);
    decodeMessage(u, open, history);
    expect(decodeMessage(u, open, history).header.msg_type).toBe("kernel_info_request");
  });

  it("the history is bounded: the oldest digests are forgotten first", () => {
    const h = new DigestHistory(3);
    for (const d of ["a", "b", "c"]) expect(h.add(d)).toBe(true);
    expect(h.add("b")).toBe(false);
    expect(h.add("d")).toBe(true); // evicts "a"
    expect(h.size).toBe(3);
    expect(["a", "b", "c", "d"].map((d) => h.has(d))).toEqual([false, true, true, true]);
    for (let i = 0; i < 1000; i++) h.add(`x${i}`);
    expect(h.size).toBe(3);
    expect(["x997", "x998", "x999"].every((d) => h.has(d))).toBe(true);
    expect(() => new DigestHistory(0)).toThrow(/capacity must be a positive integer/);
  });
});
