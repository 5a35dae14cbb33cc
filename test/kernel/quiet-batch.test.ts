// QuietBatch holds items while more keep coming and releases them together, in order.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { QuietBatch } from "../../kernel/executor/quiet-batch.js";

describe("QuietBatch", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  const batch = () => {
    const released: string[][] = [];
    return { released, b: new QuietBatch<string>(50, 1000, (items) => released.push(items)) };
  };

  it("releases everything once nothing new came for the quiet time", () => {
    const { b, released } = batch();
    b.add("a");
    vi.advanceTimersByTime(30);
    b.add("b"); // restarts the quiet time
    vi.advanceTimersByTime(30);
    expect(released).toEqual([]);
    expect(b.size).toBe(2);
    vi.advanceTimersByTime(20);
    expect(released).toEqual([["a", "b"]]);
    expect(b.size).toBe(0);
  });

  it("still releases during an endless burst once the oldest has waited the longest hold", () => {
    const { b, released } = batch();
    for (let t = 0; t < 1000; t += 20) {
      b.add(`c${t}`);
      vi.advanceTimersByTime(20);
    }
    expect(released).toHaveLength(1);
    expect(released[0]![0]).toBe("c0");
    expect(released[0]).toHaveLength(50);
  });

  it("folds an item into the last one held when merge says so, keeping the order", () => {
    const released: string[][] = [];
    const b = new QuietBatch<string[]>(
      50,
      1000,
      (items) => released.push(items.map((i) => i.join(""))),
      (last, item) => last[0] === item[0] && Boolean(last.push(...item)),
    );
    for (const x of ["a", "a", "a", "b", "a"]) b.add([x]);
    expect(b.size).toBe(3);
    vi.advanceTimersByTime(50);
    expect(released).toEqual([["aaa", "b", "a"]]);
  });

  it("releases at once on flush, and take() empties without releasing", () => {
    const { b, released } = batch();
    b.add("x");
    b.flush();
    expect(released).toEqual([["x"]]);
    b.add("y");
    expect(b.take()).toEqual(["y"]);
    vi.advanceTimersByTime(2000);
    expect(released).toEqual([["x"]]);
  });
});
