// Cuts the tokenized corpus into fixed-length windows: a training span and, from the end of
// the book, a held-out span that training never sees (for perplexity before/after).

export interface CorpusWindows {
  train: number[][];
  heldOut: number[][];
}

/** Non-overlapping windows of `seqLen` tokens; the trailing partial window is dropped. */
export function tokenWindows(ids: readonly number[], seqLen: number): number[][] {
  const out: number[][] = [];
  for (let i = 0; i + seqLen <= ids.length; i += seqLen) out.push(ids.slice(i, i + seqLen));
  return out;
}

export function splitCorpus(ids: readonly number[], seqLen: number, heldOutFraction: number): CorpusWindows {
  if (!(heldOutFraction > 0 && heldOutFraction < 1))
    throw new Error(`heldOutFraction: expected a number in (0, 1), found ${heldOutFraction}`);
  const cut = Math.floor(ids.length * (1 - heldOutFraction));
  const train = tokenWindows(ids.slice(0, cut), seqLen);
  const heldOut = tokenWindows(ids.slice(cut), seqLen);
  if (train.length === 0 || heldOut.length === 0) {
    throw new Error(
      `corpus of ${ids.length} tokens is too short for windows of ${seqLen} tokens (train ${train.length}, held-out ${heldOut.length})`,
    );
  }
  return { train, heldOut };
}
