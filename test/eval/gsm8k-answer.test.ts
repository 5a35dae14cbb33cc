import { expect, test } from "vitest";
import { loadGsm8k } from "../../lib/data/gsm8k.js";
import {
  extractPredictedAnswer,
  extractReferenceAnswer,
  gsm8kExactMatch,
  normaliseNumber,
} from "../../lib/eval/gsm8k-answer.js";

test("every real test reference extracts to a number equal to its '#### N' text", () => {
  const test = loadGsm8k("test");
  expect(test).toHaveLength(1319);
  let withCommas = 0;
  let negative = 0;
  for (const ex of test) {
    const n = extractReferenceAnswer(ex.answer);
    expect(n, `line ${ex.line}`).toMatch(/^-?\d+(\.\d+)?$/);
    // independent check: the raw '#### N' text parsed by Number() after removing commas
    expect(Number(n), `line ${ex.line}`).toBe(Number(ex.final.replace(/,/g, "")));
    if (ex.final.includes(",")) withCommas++;
    if (ex.final.startsWith("-")) negative++;
  }
  // the real file does exercise grouping commas and negative answers
  expect(withCommas).toBeGreaterThan(0);
  expect(negative).toBeGreaterThan(0);
});

test("a model that copies each reference solution scores 100%; an off-by-one model 0%", () => {
  const test = loadGsm8k("test").slice(0, 200);
  expect(test.every((ex) => gsm8kExactMatch(ex.answer, ex.answer))).toBe(true);
  const off = test.map((ex) => `The answer is ${Number(ex.final.replace(/,/g, "")) + 1}.`);
  expect(test.some((ex, i) => gsm8kExactMatch(off[i], ex.answer))).toBe(false);
});

test("normalisation", () => {
  expect(normaliseNumber("1,000")).toBe("1000");
  expect(normaliseNumber("018.50")).toBe("18.5");
  expect(normaliseNumber("18.0")).toBe("18");
  expect(normaliseNumber("-0")).toBe("0");
  expect(normaliseNumber("+7")).toBe("7");
  expect(normaliseNumber(".5")).toBe("0.5");
  expect(normaliseNumber("abc")).toBeUndefined();
});

test.each([
  ["So she makes 9 * 2 = $18 every day.\n#### 18", "18"],
  ["#### 18\nQuestion: next one has 99 eggs", "18"], // after '####' wins over a later number
  ["The total is $1,250.00.", "1250"],
  ["He ends with -3 degrees", "-3"],
  ["pages 2-4", "4"], // a hyphen is not a minus sign
  ["So 10-3 = 7", "7"],
  ["The change is 10-3", "3"],
  ["3, 4, 5: the answer is 5", "5"], // list commas are not thousands separators
  ["It takes 2.5 hours. Answer: 2.50", "2.5"],
  ["The answer is 50%.", "50"],
  ["First 12 apples, then 3 more: 15 apples total.", "15"],
  ["#### $1,000", "1000"],
  ["The answer is 18. ", "18"], // the sentence's full stop is not a decimal point
])("extracts the final number from %j", (gen, want) => {
  expect(extractPredictedAnswer(gen)).toBe(want);
});

test("no number -> no prediction -> no match", () => {
  expect(extractPredictedAnswer("I do not know.")).toBeUndefined();
  expect(gsm8kExactMatch("I do not know.", "x\n#### 5")).toBe(false);
  expect(gsm8kExactMatch("#### 5.0", "x\n#### 5")).toBe(true);
});

test("a reference without '####' is an error naming the problem", () => {
  expect(() => extractReferenceAnswer("just 5")).toThrow(/no '#### N'/);
});
