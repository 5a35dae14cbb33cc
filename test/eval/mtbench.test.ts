import { mkdtempSync, readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { loadMtBench } from "../../lib/data/mtbench.js";
import type { GenerateOptions, TextGenerator } from "../../lib/eval/interfaces.js";
import { judgeFromEnv, parseRating } from "../../lib/eval/judge.js";
import { runMtBench } from "../../lib/eval/mtbench.js";

// A generator whose answers encode the question id and turn, so the fake judge can rate them
// deterministically and the test can compute the expected score independently.
const calls: GenerateOptions[] = [];
const gen: TextGenerator = {
  async generate(prompts, opts) {
    calls.push(opts);
    return prompts.map((p) => {
      const turn = (p.match(/### User:/g) ?? []).length;
      const q = loadMtBench().find((x) => x.turns.slice(0, turn).every((t) => p.includes(t)))!;
      return `ANSWER q=${q.questionId} t=${turn}\n### User:\nhallucinated next turn`;
    });
  },
};

// Fake OpenAI-compatible judge: rating = (qid % 10) + 1 on turn 1, fixed 7 on turn 2, except for
// question 81 turn 2 where it forgets the [[rating]] format.
let server: Server;
let baseUrl = "";
const requests: { auth?: string; body: { model: string; messages: { role: string; content: string }[] } }[] = [];
beforeAll(async () => {
  server = createServer(async (req: IncomingMessage, res) => {
    let raw = "";
    for await (const chunk of req) raw += chunk;
    const body = JSON.parse(raw);
    requests.push({ auth: req.headers.authorization, body });
    if (req.url !== "/v1/chat/completions") {
      res.writeHead(404).end("no route");
      return;
    }
    const user = body.messages.find((m: { role: string }) => m.role === "user").content as string;
    const answers = [...user.matchAll(/ANSWER q=(\d+) t=(\d)/g)];
    const [, qid, turn] = answers[answers.length - 1];
    const content =
      qid === "81" && turn === "2"
        ? "Looks fine, I'd give it a seven."
        : `Explanation... Rating: [[${turn === "1" ? (Number(qid) % 10) + 1 : 7}]]`;
    res
      .writeHead(200, { "content-type": "application/json" })
      .end(JSON.stringify({ choices: [{ message: { role: "assistant", content } }] }));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  baseUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}/v1`;
});
afterAll(() => server.close());

test("without a judge: answers for both turns of all 80 questions, reported as not judged, no score", async () => {
  calls.length = 0;
  const out = join(mkdtempSync(join(tmpdir(), "peft-mt-")), "mt.json");
  const r = await runMtBench(gen, { outFile: out });
  expect(r.status).toBe("not judged");
  expect(r.n).toBe(80);
  expect("score" in r).toBe(false);
  for (const a of r.answers) {
    expect(a.answers[0]).toBe(`ANSWER q=${a.questionId} t=1`); // the hallucinated user turn is cut
    expect(a.answers[1]).toBe(`ANSWER q=${a.questionId} t=2`);
    expect(a.ratings).toBeUndefined();
  }
  // turn 2's prompt carried turn 1's answer; temperatures follow the category table
  expect(new Set(calls.map((c) => c.temperature))).toEqual(new Set([0, 0.1, 0.7]));
  const saved = JSON.parse(readFileSync(out, "utf8"));
  expect(saved.status).toBe("not judged");
  expect(saved.answers).toHaveLength(80);
});

test("with a judge: ratings parsed, unparseable ones counted, never invented", async () => {
  requests.length = 0;
  // 11 questions: 81 (whose turn-2 judgment is unparseable), two reference-guided math ones, the rest spread out
  const all80 = loadMtBench();
  const chosen = all80.filter(
    (q, i) => q.questionId === 81 || i % 9 === 4 || (q.category === "math" && q.reference && q.questionId <= 112),
  );
  const r = await runMtBench(gen, { judge: { baseUrl, model: "fake-judge", apiKey: "sk-test" }, questions: chosen });
  if (r.status !== "judged") throw new Error("expected a judged result");
  expect(requests).toHaveLength(2 * chosen.length);
  expect(requests.every((q) => q.auth === "Bearer sk-test" && q.body.model === "fake-judge")).toBe(true);
  const ids = r.answers.map((a) => a.questionId);
  const turn1 = ids.map((id) => (id % 10) + 1);
  const turn2 = ids.filter((id) => id !== 81).map(() => 7);
  const all = [...turn1, ...turn2];
  expect(r.score).toBeCloseTo(all.reduce((s, x) => s + x, 0) / all.length, 12);
  expect(r.perTurn[0]).toBeCloseTo(turn1.reduce((s, x) => s + x, 0) / turn1.length, 12);
  expect(r.unparsed).toBe(1);
  // reference-guided judging for a math question that has a reference answer
  const math = loadMtBench().filter((q) => q.category === "math" && q.reference && ids.includes(q.questionId));
  expect(math.length).toBeGreaterThanOrEqual(2);
  for (const q of math) {
    const req = requests.find((x) => x.body.messages[1].content.includes(`ANSWER q=${q.questionId} t=1`))!;
    expect(req.body.messages[1].content).toContain(q.reference![0]);
  }
});

test("question 81's unparseable turn-2 judgment is null and left out", async () => {
  const q81 = loadMtBench().filter((q) => q.questionId === 81);
  const r = await runMtBench(gen, { judge: { baseUrl, model: "fake-judge" }, questions: q81 });
  if (r.status !== "judged") throw new Error("expected judged");
  expect(r.answers[0].ratings).toEqual([2, null]);
  expect(r.unparsed).toBe(1);
  expect(r.score).toBe(2);
});

test("a failing judge endpoint is an error naming URL and status", async () => {
  await expect(runMtBench(gen, { judge: { baseUrl: `${baseUrl}/wrong`, model: "m" }, limit: 1 })).rejects.toThrow(
    /judge http:\/\/127\.0\.0\.1:\d+\/v1\/wrong\/chat\/completions answered HTTP 404/,
  );
});

test("parseRating and judgeFromEnv", () => {
  expect(parseRating("blah Rating: [[8]]")).toBe(8);
  expect(parseRating("Rating: [[7.5]]")).toBe(7.5);
  expect(parseRating("Rating: [6]")).toBe(6);
  expect(parseRating("no rating")).toBeUndefined();
  expect(parseRating("Rating: [[42]]")).toBeUndefined();
  expect(judgeFromEnv({})).toBeUndefined();
  expect(judgeFromEnv({ PEFT_JUDGE_BASE_URL: "http://x/v1", PEFT_JUDGE_MODEL: "gpt" })).toEqual({
    baseUrl: "http://x/v1",
    model: "gpt",
  });
  expect(() => judgeFromEnv({ PEFT_JUDGE_MODEL: "gpt" })).toThrow(/set both PEFT_JUDGE_BASE_URL and PEFT_JUDGE_MODEL/);
});
