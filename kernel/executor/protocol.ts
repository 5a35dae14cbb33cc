// Messages between the kernel process and its executor child (Node IPC channel). `cell` is the
// msg_id of the execute_request, so output produced later (timers, promises) still finds its cell.
import type { MimeBundle, DisplayMetadata } from "../../lib/display/sink.js";

/** Comm traffic from the frontend; `cell` is the msg_id of the comm message (output routing). */
export type CommToRuntime =
  | {
      t: "comm_open";
      cell: string;
      commId: string;
      targetName: string;
      data: Record<string, unknown>;
      metadata: Record<string, unknown>;
    }
  | { t: "comm_msg"; cell: string; commId: string; data: Record<string, unknown>; metadata: Record<string, unknown> }
  | { t: "comm_close"; cell: string; commId: string; data: Record<string, unknown>; metadata: Record<string, unknown> };

/** Comm traffic from user code to the frontend. */
export type CommFromRuntime =
  | {
      t: "comm_open";
      cell: string | null;
      commId: string;
      targetName: string;
      data: Record<string, unknown>;
      metadata: Record<string, unknown>;
    }
  | {
      t: "comm_msg";
      cell: string | null;
      commId: string;
      data: Record<string, unknown>;
      metadata: Record<string, unknown>;
    }
  | {
      t: "comm_close";
      cell: string | null;
      commId: string;
      data: Record<string, unknown>;
      metadata: Record<string, unknown>;
    };

export type ToRuntime =
  | { t: "execute"; cell: string; code: string; count: number; userExpressions?: Record<string, string> }
  | { t: "input_reply"; id: number; value?: string; error?: string }
  | CommToRuntime;

export interface ErrorResult {
  ename: string;
  evalue: string;
  traceback: string[];
}

export type FromRuntime =
  | { t: "ready" }
  | { t: "stream"; cell: string | null; name: "stdout" | "stderr"; text: string }
  | { t: "display"; cell: string | null; data: MimeBundle; metadata: DisplayMetadata; displayId?: string }
  | { t: "update"; cell: string | null; data: MimeBundle; metadata: DisplayMetadata; displayId: string }
  | { t: "clear"; cell: string | null; wait: boolean }
  | { t: "input"; cell: string | null; id: number; prompt: string; password: boolean }
  | { t: "page"; cell: string; text: string }
  | CommFromRuntime
  /**
   * A frontend comm message was handled (its handler's output is sent already); `cell` is its
   * msg_id. For comm_open, error names why it was refused (the kernel then closes the comm).
   */
  | { t: "comm_ack"; cell: string; error: string | null }
  | {
      t: "done";
      cell: string;
      result?: { data: MimeBundle; metadata: DisplayMetadata };
      error?: ErrorResult;
      /** execute_reply's user_expressions: name -> {status:"ok", data, metadata} or an error. */
      userExpressions?: Record<string, unknown>;
    };
