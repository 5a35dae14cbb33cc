// Seeded, reproducible batch sources. The position is plain JSON so a checkpoint can store it
// and a resumed run sees exactly the batches the uninterrupted run would have seen.
import { mulberry32, permutation } from "../random/mulberry32.js";

/** JSON-serialisable position in a batch stream. */
export type DataPosition = Record<string, number | string | boolean>;

export interface BatchSource<B> {
  /** The next batch; sources are endless (they start a new epoch when one ends). */
  next(): B;
  position(): DataPosition;
  seek(position: DataPosition): void;
  /** Batches in one epoch, when the source has epochs. */
  readonly batchesPerEpoch?: number;
}

export interface ShuffledBatchesOptions<B> {
  /** Number of examples. */
  size: number;
  batchSize: number;
  seed: number;
  /** Builds a batch from example indices (e.g. gathers token rows into a tensor). */
  collate: (indices: number[]) => B;
  /** Default true; false keeps the natural order. */
  shuffle?: boolean;
}

/**
 * Epoch-wise shuffled mini-batches; each epoch's order depends only on (seed, epoch), so the
 * position is just {epoch, batch}. A trailing partial batch is dropped so every step sees the
 * same batch size (accumulation equivalence relies on equal micro-batches).
 */
export function shuffledBatches<B>(opts: ShuffledBatchesOptions<B>): BatchSource<B> {
  const { size, batchSize, seed, collate } = opts;
  if (!Number.isInteger(size) || size <= 0)
    throw new Error(`shuffledBatches.size: expected a positive integer, found ${size}`);
  if (!Number.isInteger(batchSize) || batchSize <= 0 || batchSize > size) {
    throw new Error(`shuffledBatches.batchSize: expected an integer in [1, ${size}], found ${batchSize}`);
  }
  const shuffle = opts.shuffle ?? true;
  const perEpoch = Math.floor(size / batchSize);
  let epoch = 0;
  let batch = 0;
  let order: number[] | null = null;
  const orderFor = (e: number) =>
    shuffle
      ? permutation(size, mulberry32((seed ^ Math.imul(e + 1, 0x9e3779b1)) >>> 0))
      : Array.from({ length: size }, (_, i) => i);
  return {
    batchesPerEpoch: perEpoch,
    next() {
      if (batch >= perEpoch) {
        epoch++;
        batch = 0;
        order = null;
      }
      order ??= orderFor(epoch);
      const idx = order.slice(batch * batchSize, (batch + 1) * batchSize);
      batch++;
      return collate(idx);
    },
    position: () => ({ kind: "shuffled", seed, epoch, batch }),
    seek(p) {
      if (p.kind !== "shuffled" || p.seed !== seed || typeof p.epoch !== "number" || typeof p.batch !== "number") {
        throw new Error(
          `shuffledBatches.seek: position ${JSON.stringify(p)} does not belong to a shuffled source with seed ${seed}`,
        );
      }
      epoch = p.epoch;
      batch = p.batch;
      order = null;
    },
  };
}
