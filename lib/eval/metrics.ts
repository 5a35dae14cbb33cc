// Classification metrics on 0/1 labels, with the conventions of scikit-learn's defaults
// (binary F1 with positive class 1; MCC and F1 are 0 where their formula divides by zero).

export interface Confusion {
  tp: number;
  fp: number;
  tn: number;
  fn: number;
}

/** Confusion counts of binary predictions against labels (positive class 1). */
export function confusion(predictions: readonly number[], labels: readonly number[]): Confusion {
  checkPair(predictions, labels);
  const c: Confusion = { tp: 0, fp: 0, tn: 0, fn: 0 };
  for (let i = 0; i < labels.length; i++) {
    const p = predictions[i];
    const y = labels[i];
    if ((p !== 0 && p !== 1) || (y !== 0 && y !== 1)) {
      throw new Error(`binary metrics need 0/1 values; at index ${i} found prediction ${p}, label ${y}`);
    }
    if (p === 1) y === 1 ? c.tp++ : c.fp++;
    else y === 1 ? c.fn++ : c.tn++;
  }
  return c;
}

/** Fraction of predictions equal to their label (any label values). */
export function accuracy(predictions: readonly unknown[], labels: readonly unknown[]): number {
  checkPair(predictions, labels);
  let hit = 0;
  for (let i = 0; i < labels.length; i++) if (predictions[i] === labels[i]) hit++;
  return hit / labels.length;
}

/** Binary F1 of class 1: 2TP / (2TP + FP + FN); 0 when there are no positives predicted or present. */
export function f1Binary(predictions: readonly number[], labels: readonly number[]): number {
  const { tp, fp, fn } = confusion(predictions, labels);
  const denom = 2 * tp + fp + fn;
  return denom === 0 ? 0 : (2 * tp) / denom;
}

/** Matthews correlation coefficient; 0 when undefined (a constant prediction or label column). */
export function matthewsCorrcoef(predictions: readonly number[], labels: readonly number[]): number {
  const { tp, fp, tn, fn } = confusion(predictions, labels);
  const denom = Math.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn));
  return denom === 0 ? 0 : (tp * tn - fp * fn) / denom;
}

function checkPair(predictions: readonly unknown[], labels: readonly unknown[]): void {
  if (predictions.length !== labels.length) {
    throw new Error(`predictions and labels differ in length: ${predictions.length} vs ${labels.length}`);
  }
  if (labels.length === 0) throw new Error("metrics of an empty set are undefined: no predictions given");
}
