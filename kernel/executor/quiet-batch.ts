// Holds work back while more keeps coming: items are released together, in order, once none has
// arrived for `quietMs` (or the oldest has waited `maxHoldMs`, so a long burst still makes
// progress), or at once by flush(). The checker uses it so that background type checks run
// between bursts of cells instead of competing with them.
export class QuietBatch<T> {
  private items: T[] = [];
  private quietTimer: NodeJS.Timeout | null = null;
  private holdTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly quietMs: number,
    private readonly maxHoldMs: number,
    private readonly release: (items: T[]) => void,
    /** Folds `item` into the last one held and says so; a folded item takes no place of its own. */
    private readonly merge: (last: T, item: T) => boolean = () => false,
  ) {}

  get size(): number {
    return this.items.length;
  }

  add(item: T): void {
    const last = this.items[this.items.length - 1];
    if (last === undefined || !this.merge(last, item)) this.items.push(item);
    if (this.quietTimer) clearTimeout(this.quietTimer);
    this.quietTimer = setTimeout(() => this.flush(), this.quietMs);
    this.holdTimer ??= setTimeout(() => this.flush(), this.maxHoldMs);
  }

  /** Releases everything held now. */
  flush(): void {
    const items = this.take();
    if (items.length) this.release(items);
  }

  /** Empties the batch without releasing it; the caller disposes of the items. */
  take(): T[] {
    if (this.quietTimer) clearTimeout(this.quietTimer);
    if (this.holdTimer) clearTimeout(this.holdTimer);
    this.quietTimer = this.holdTimer = null;
    return this.items.splice(0);
  }
}
