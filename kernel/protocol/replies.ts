// What the kernel sends: replies on shell/control, broadcasts on iopub and requests on stdin,
// each a typed content so the session cannot send a reply missing a field the spec requires.
import type { MimeBundle } from "../../lib/display/sink.js";
import type { HistoryTuple } from "../history/store.js";
import type { Content } from "./fields.js";
import type { IncomingType } from "./requests.js";

export type ErrorContent = { ename: string; evalue: string; traceback: string[] };
/** Any request may be answered with an error instead of its reply. */
export type ErrorReply = { status: "error" } & ErrorContent;

export type Page = { source: "page"; data: MimeBundle; start: number };

export type ExecuteReply =
  | { status: "ok"; execution_count: number; payload: Page[]; user_expressions: Record<string, unknown> }
  | ({ status: "error"; execution_count: number } & ErrorContent)
  | { status: "aborted"; execution_count: number };

export type KernelInfoReply = {
  status: "ok";
  protocol_version: string;
  implementation: string;
  implementation_version: string;
  language_info: {
    name: string;
    version: string;
    mimetype: string;
    file_extension: string;
    pygments_lexer: string;
    codemirror_mode: string | Content;
    nbconvert_exporter: string;
  };
  banner: string;
  help_links: { text: string; url: string }[];
  debugger: boolean;
};

export type ReplyContent = {
  kernel_info_request: KernelInfoReply;
  execute_request: ExecuteReply;
  complete_request: { status: "ok"; matches: string[]; cursor_start: number; cursor_end: number; metadata: Content };
  inspect_request: { status: "ok"; found: boolean; data: MimeBundle; metadata: Content };
  is_complete_request: { status: "complete" | "invalid" | "unknown" } | { status: "incomplete"; indent: string };
  history_request: { status: "ok"; history: HistoryTuple[] };
  comm_info_request: { status: "ok"; comms: Record<string, { target_name: string }> };
  interrupt_request: { status: "ok" };
  shutdown_request: { status: "ok"; restart: boolean };
};
export type RequestType = keyof ReplyContent & IncomingType;

export type ExecutionState = "busy" | "idle" | "starting";

/** iopub broadcasts by msg_type. */
export type IopubContent = {
  status: { execution_state: ExecutionState };
  stream: { name: "stdout" | "stderr"; text: string };
  display_data: { data: MimeBundle; metadata: Content; transient: { display_id?: string } };
  update_display_data: { data: MimeBundle; metadata: Content; transient: { display_id: string } };
  clear_output: { wait: boolean };
  execute_input: { code: string; execution_count: number };
  execute_result: { execution_count: number; data: MimeBundle; metadata: Content };
  error: ErrorContent;
  comm_open: { comm_id: string; target_name: string; data: Content };
  comm_msg: { comm_id: string; data: Content };
  comm_close: { comm_id: string; data: Content };
  /** Also broadcast, so every client learns of a shutdown (protocol 5.4 convention, harmless before). */
  shutdown_reply: ReplyContent["shutdown_request"];
};

export type InputRequest = { prompt: string; password: boolean };

/** `execute_request` -> `execute_reply`; other names (comm messages) get `_reply` appended. */
export function replyType(msgType: string): string {
  return msgType.endsWith("_request") ? `${msgType.slice(0, -"_request".length)}_reply` : `${msgType}_reply`;
}
