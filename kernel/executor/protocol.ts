// Messages between the kernel process and its executor child (Node IPC channel). `cell` is the
// msg_id of the execute_request, so output produced later (timers, promises) still finds its cell.
import type { MimeBundle, DisplayMetadata } from "../../lib/display/sink.js";

export type ToRuntime =
  | { t: "execute"; cell: string; code: string; count: number; userExpressions?: Record<string, string> }
  | { t: "input_reply"; id: number; value?: string; error?: string };

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
  | {
      t: "done";
      cell: string;
      result?: { data: MimeBundle; metadata: DisplayMetadata };
      error?: ErrorResult;
      /** execute_reply's user_expressions: name -> {status:"ok", data, metadata} or an error. */
      userExpressions?: Record<string, unknown>;
    };
