// Jupyter messaging protocol 5.3 on the wire: identities, the <IDS|MSG> delimiter, an
// HMAC-SHA256 signature over header, parent_header, metadata and content, then buffers.
// Pure functions only: the sockets live elsewhere, so kernel and client share this code.
import { createHmac, randomUUID, timingSafeEqual } from "node:crypto";
import type { DigestHistory } from "./digest-history.js";

export const PROTOCOL_VERSION = "5.3";
export const DELIMITER = "<IDS|MSG>";

export interface MessageHeader {
  msg_id: string;
  session: string;
  username: string;
  date: string;
  msg_type: string;
  version: string;
  subshell_id?: string | null;
}

export interface JupyterMessage<C = Record<string, unknown>> {
  /** ZMQ routing identities (ROUTER sockets) or the topic (iopub). */
  identities: Buffer[];
  header: MessageHeader;
  parent_header: Partial<MessageHeader>;
  metadata: Record<string, unknown>;
  content: C;
  buffers: Buffer[];
}

export class WireError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "WireError";
  }
}

export interface Signer {
  sign(parts: Buffer[]): string;
  verify(signature: string, parts: Buffer[]): boolean;
}

/** An empty key disables signing, as the spec allows. */
export function createSigner(key: string, scheme = "hmac-sha256"): Signer {
  if (key && scheme !== "hmac-sha256") {
    throw new WireError(`unsupported signature_scheme '${scheme}': only hmac-sha256 is implemented`);
  }
  return {
    sign(parts) {
      if (!key) return "";
      const h = createHmac("sha256", key);
      for (const p of parts) h.update(p);
      return h.digest("hex");
    },
    verify(signature, parts) {
      if (!key) return true;
      const expected = Buffer.from(this.sign(parts), "utf8");
      const given = Buffer.from(signature, "utf8");
      return expected.length === given.length && timingSafeEqual(expected, given);
    },
  };
}

export function newHeader(msgType: string, session: string, username = "kernel"): MessageHeader {
  return {
    msg_id: randomUUID(),
    session,
    username,
    date: new Date().toISOString(),
    msg_type: msgType,
    version: PROTOCOL_VERSION,
  };
}

/** Serialises a message into ZMQ frames. */
export function encodeMessage(msg: Omit<JupyterMessage, "buffers"> & { buffers?: Buffer[] }, signer: Signer): Buffer[] {
  const parts = [msg.header, msg.parent_header, msg.metadata, msg.content].map((p) =>
    Buffer.from(JSON.stringify(p), "utf8"),
  );
  return [...msg.identities, Buffer.from(DELIMITER), Buffer.from(signer.sign(parts)), ...parts, ...(msg.buffers ?? [])];
}

/**
 * Parses ZMQ frames. Throws WireError for a missing delimiter, a bad signature, a replayed
 * signature (when `history` is given: the receiving side of a kernel) or malformed JSON; callers
 * decide whether to drop (bad or replayed signature) or answer with an error (malformed).
 */
export function decodeMessage(frames: Buffer[], signer: Signer, history?: DigestHistory): JupyterMessage {
  const delim = frames.findIndex((f) => f.length === DELIMITER.length && f.toString("utf8") === DELIMITER);
  if (delim < 0) throw new WireError("no <IDS|MSG> delimiter in message frames");
  if (frames.length < delim + 6) {
    throw new WireError(
      `expected signature and 4 JSON frames after the delimiter, found ${frames.length - delim - 1} frames`,
    );
  }
  const identities = frames.slice(0, delim);
  const signature = (frames[delim + 1] as Buffer).toString("utf8");
  const parts = frames.slice(delim + 2, delim + 6);
  if (!signer.verify(signature, parts)) throw new SignatureError("invalid message signature");
  // Only a verified signature is recorded, so forged messages cannot fill the history. Unsigned
  // sessions (empty key) have no digest to compare.
  if (history && signature && !history.add(signature)) throw new ReplayedMessageError(signature);
  const names = ["header", "parent_header", "metadata", "content"] as const;
  // The header, when it parses, lets the error reply name its request type and parent.
  let knownHeader: MessageHeader | undefined;
  const parsed = parts.map((p, i) => {
    try {
      const v = JSON.parse(p.toString("utf8")) as unknown;
      if (i === 0 && v !== null && typeof v === "object" && typeof (v as MessageHeader).msg_type === "string")
        knownHeader = v as MessageHeader;
      return v;
    } catch (err) {
      throw new MalformedMessageError(
        `${names[i]} is not valid JSON: ${(err as Error).message}`,
        identities,
        knownHeader,
      );
    }
  });
  const [header, parent, metadata, content] = parsed;
  for (const [i, v] of parsed.entries()) {
    if (v === null || typeof v !== "object" || Array.isArray(v)) {
      throw new MalformedMessageError(
        `${names[i]} must be a JSON object`,
        identities,
        i === 0 ? undefined : (header as MessageHeader),
      );
    }
  }
  const h = header as MessageHeader;
  if (typeof h.msg_type !== "string" || typeof h.msg_id !== "string") {
    throw new MalformedMessageError("header needs string msg_id and msg_type", identities);
  }
  return {
    identities,
    header: h,
    parent_header: parent as Partial<MessageHeader>,
    metadata: metadata as Record<string, unknown>,
    content: content as Record<string, unknown>,
    buffers: frames.slice(delim + 6),
  };
}

export class SignatureError extends WireError {
  constructor(message: string) {
    super(message);
    this.name = "SignatureError";
  }
}

/** A correctly signed message whose signature was already seen: a replay, dropped like a forgery. */
export class ReplayedMessageError extends SignatureError {
  constructor(readonly digest: string) {
    super(`replayed message: signature ${digest.slice(0, 16)}… was already received`);
    this.name = "ReplayedMessageError";
  }
}

/** A correctly signed message whose body is unusable: it deserves an error reply, not silence. */
export class MalformedMessageError extends WireError {
  constructor(
    message: string,
    readonly identities: Buffer[],
    readonly header?: MessageHeader,
  ) {
    super(message);
    this.name = "MalformedMessageError";
  }
}
