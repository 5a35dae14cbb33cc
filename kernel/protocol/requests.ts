// What clients send the kernel (shell, control and stdin), parsed once per message into a typed
// value: a union discriminated by msg_type, with the spec's defaults filled in. A malformed field
// throws ContentError naming it; the session turns that into an error reply. Field names are
// the protocol's own (docs: jupyter_client's messaging.rst, version 5.3).
import { type Content, Fields } from "./fields.js";

export type KernelInfoRequest = Record<string, never>;

export type ExecuteRequest = {
  code: string;
  silent: boolean;
  /** False whenever silent is true, as the spec says. */
  store_history: boolean;
  /** name -> expression, evaluated after the cell. */
  user_expressions: Record<string, string>;
  allow_stdin: boolean;
  stop_on_error: boolean;
};

/** Cursor positions are in Unicode code points (protocol 5.2+). */
export type CompleteRequest = { code: string; cursor_pos: number };
export type InspectRequest = { code: string; cursor_pos: number; detail_level: 0 | 1 };
export type IsCompleteRequest = { code: string };

type HistoryCommon = { output: boolean; raw: boolean };
export type HistoryRequest =
  | (HistoryCommon & { hist_access_type: "tail"; n: number })
  | (HistoryCommon & { hist_access_type: "range"; session: number; start: number; stop: number | null })
  | (HistoryCommon & { hist_access_type: "search"; pattern: string; n: number | null; unique: boolean });

export type CommInfoRequest = { target_name?: string };
export type InterruptRequest = Record<string, never>;
export type ShutdownRequest = { restart: boolean };

export type CommOpen = { comm_id: string; target_name: string; data: Content };
export type CommMsg = { comm_id: string; data: Content };
export type CommClose = CommMsg;

export type InputReply = { value: string };

/** Everything the kernel handles, by msg_type. */
export type IncomingContent = {
  kernel_info_request: KernelInfoRequest;
  execute_request: ExecuteRequest;
  complete_request: CompleteRequest;
  inspect_request: InspectRequest;
  is_complete_request: IsCompleteRequest;
  history_request: HistoryRequest;
  comm_info_request: CommInfoRequest;
  interrupt_request: InterruptRequest;
  shutdown_request: ShutdownRequest;
  comm_open: CommOpen;
  comm_msg: CommMsg;
  comm_close: CommClose;
  input_reply: InputReply;
};
export type IncomingType = keyof IncomingContent;

/** A parsed message content: `switch (m.msg_type)` narrows `m.content`. */
export type Incoming = { [K in IncomingType]: { msg_type: K; content: IncomingContent[K] } }[IncomingType];

/** The cursor defaults to the end of the code. */
const cursorOf = (f: Fields, code: string) => f.int("cursor_pos", [...code].length);

const PARSERS: { [K in IncomingType]: (f: Fields) => IncomingContent[K] } = {
  kernel_info_request: () => ({}),
  execute_request: (f) => {
    const silent = f.bool("silent", false);
    return {
      code: f.string("code"),
      silent,
      store_history: silent ? false : f.bool("store_history", true),
      user_expressions: f.stringMap("user_expressions"),
      allow_stdin: f.bool("allow_stdin", true),
      stop_on_error: f.bool("stop_on_error", true),
    };
  },
  complete_request: (f) => {
    const code = f.string("code");
    return { code, cursor_pos: cursorOf(f, code) };
  },
  inspect_request: (f) => {
    const code = f.string("code");
    const detail = f.int("detail_level", 0);
    return { code, cursor_pos: cursorOf(f, code), detail_level: detail === 1 ? 1 : 0 };
  },
  is_complete_request: (f) => ({ code: f.string("code") }),
  history_request: (f) => {
    const common = { output: f.bool("output", false), raw: f.bool("raw", false) };
    const access = f.oneOf("hist_access_type", ["tail", "range", "search"] as const);
    switch (access) {
      case "tail":
        return { ...common, hist_access_type: access, n: f.int("n", 10) };
      case "range":
        return {
          ...common,
          hist_access_type: access,
          session: f.int("session", 0),
          start: f.int("start", 1),
          stop: f.intOrNull("stop"),
        };
      case "search":
        return {
          ...common,
          hist_access_type: access,
          pattern: f.string("pattern"),
          n: f.intOrNull("n"),
          unique: f.bool("unique", false),
        };
    }
  },
  comm_info_request: (f) => {
    const target = f.optionalString("target_name");
    return target === undefined ? {} : { target_name: target };
  },
  interrupt_request: () => ({}),
  shutdown_request: (f) => ({ restart: f.bool("restart", false) }),
  comm_open: (f) => ({ comm_id: f.string("comm_id"), target_name: f.string("target_name"), data: f.object("data") }),
  comm_msg: (f) => ({ comm_id: f.string("comm_id"), data: f.object("data") }),
  comm_close: (f) => ({ comm_id: f.string("comm_id"), data: f.object("data") }),
  input_reply: (f) => ({ value: f.string("value") }),
};

export function isIncomingType(msgType: string): msgType is IncomingType {
  return Object.hasOwn(PARSERS, msgType);
}

/** Parses the content of a message the kernel handles; throws ContentError for a malformed field. */
export function parseIncoming<K extends IncomingType>(msgType: K, content: Content): Incoming & { msg_type: K } {
  const parse = PARSERS[msgType] as (f: Fields) => IncomingContent[K];
  return { msg_type: msgType, content: parse(new Fields(msgType, content)) } as Incoming & { msg_type: K };
}
