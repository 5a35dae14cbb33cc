// Messages between cachedRuns and the processes of its local run pool (IPC over fork).

export type PoolRequest =
  | { type: "init"; backend: string; cacheDir: string; adapters: boolean }
  | { type: "run"; id: number; options: Record<string, unknown> };

export type PoolMessage =
  | { type: "ready"; backend: string; threads: number | null }
  | { type: "done"; id: number; seconds: number }
  | { type: "failed"; id: number; error: string }
  | { type: "init-failed"; error: string };
