// Signatures of the messages already accepted, so a captured signed message sent again (a replay)
// is dropped, as ipykernel's Session.digest_history does. Bounded: the oldest digests are
// forgotten first, so memory stays flat however long the kernel runs (ipykernel keeps 2^16 too).
export const DIGEST_HISTORY_SIZE = 2 ** 16;

export class DigestHistory {
  private readonly seen = new Set<string>();
  private readonly order: string[] = [];
  private head = 0;

  constructor(readonly capacity = DIGEST_HISTORY_SIZE) {
    if (!(Number.isInteger(capacity) && capacity > 0))
      throw new RangeError(`DigestHistory: capacity must be a positive integer, found ${capacity}`);
  }

  get size(): number {
    return this.seen.size;
  }

  has(digest: string): boolean {
    return this.seen.has(digest);
  }

  /** Records a digest; false (and nothing recorded) when it was already there. */
  add(digest: string): boolean {
    if (this.seen.has(digest)) return false;
    if (this.order.length < this.capacity) this.order.push(digest);
    else {
      // A ring over a fixed array: the slot being reused holds the oldest digest.
      this.seen.delete(this.order[this.head] as string);
      this.order[this.head] = digest;
      this.head = (this.head + 1) % this.capacity;
    }
    this.seen.add(digest);
    return true;
  }
}
