// An LLM judge behind any OpenAI-compatible chat-completions endpoint (OpenAI, vLLM, llama.cpp
// server, ...). Single-answer grading on a 1-10 scale with the MT-Bench "[[rating]]" answer format.
// The wording below is ours; it follows the structure and criteria of FastChat's llm_judge prompts
// (single answer, multi-turn, reference-guided variants). Pass `templates` to use other wording.

export interface JudgeConfig {
  /** e.g. "https://api.openai.com/v1" or "http://127.0.0.1:8000/v1". */
  baseUrl: string;
  model: string;
  apiKey?: string;
  /** Default 0 (deterministic judging). */
  temperature?: number;
  maxTokens?: number;
  /** Judge requests in flight at once. Default 4. */
  concurrency?: number;
  timeoutMs?: number;
}

/** The judge from env PEFT_JUDGE_BASE_URL, PEFT_JUDGE_MODEL and PEFT_JUDGE_API_KEY; undefined when unset. */
export function judgeFromEnv(env: NodeJS.ProcessEnv = process.env): JudgeConfig | undefined {
  const baseUrl = env.PEFT_JUDGE_BASE_URL;
  const model = env.PEFT_JUDGE_MODEL;
  if (!baseUrl && !model) return undefined;
  if (!baseUrl || !model)
    throw new Error(
      "judge half-configured: set both PEFT_JUDGE_BASE_URL and PEFT_JUDGE_MODEL (and PEFT_JUDGE_API_KEY if the endpoint needs one)",
    );
  return { baseUrl, model, ...(env.PEFT_JUDGE_API_KEY ? { apiKey: env.PEFT_JUDGE_API_KEY } : {}) };
}

export const JUDGE_SYSTEM = "You are a helpful assistant.";

const RATING_RULE =
  "Start with a brief explanation of your assessment and be as objective as possible. After the explanation, " +
  'give the rating on a scale of 1 to 10 in exactly this format: "[[rating]]", for example "Rating: [[5]]".';

const CRITERIA = "Judge helpfulness, relevance, accuracy, depth, creativity and level of detail.";

export interface JudgeCase {
  /** The user turns up to and including the judged one. */
  questions: string[];
  /** The assistant answers, one per question; the last is judged. */
  answers: string[];
  /** Reference answer of the judged turn (math, reasoning, coding). */
  reference?: string;
}

/** The judge's user message for one case. */
export function judgePrompt(c: JudgeCase): string {
  if (c.questions.length !== c.answers.length || c.questions.length === 0) {
    throw new Error(
      `judgePrompt: need as many answers as questions (>0), found ${c.questions.length} questions, ${c.answers.length} answers`,
    );
  }
  const ref = c.reference !== undefined ? `\n\n[Reference Answer]\n${c.reference}\n[End of Reference Answer]` : "";
  const refRule =
    c.reference !== undefined
      ? " Compare the assistant's answer with the reference answer and point out any mistakes."
      : "";
  if (c.questions.length === 1) {
    return (
      `[Instruction]\nYou are an impartial judge. Rate the quality of the AI assistant's response to the user question below. ` +
      `${CRITERIA}${refRule} ${RATING_RULE}\n\n[Question]\n${c.questions[0]}${ref}\n\n` +
      `[The Start of Assistant's Answer]\n${c.answers[0]}\n[The End of Assistant's Answer]`
    );
  }
  const convo = c.questions.map((q, i) => `### User:\n${q}\n\n### Assistant:\n${c.answers[i]}\n\n`).join("");
  return (
    `[Instruction]\nYou are an impartial judge. Rate the quality of the AI assistant's answer to the user's LAST question in the ` +
    `conversation below; earlier turns are context only. ${CRITERIA}${refRule} ${RATING_RULE}${ref}\n\n` +
    `<|The Start of the Conversation|>\n\n${convo}<|The End of the Conversation|>`
  );
}

/** The rating in a judgment: "[[x]]" (or "[x]" as a fallback), 1 to 10; undefined when absent. */
export function parseRating(judgment: string): number | undefined {
  const m = /\[\[(\d+(?:\.\d+)?)\]\]/.exec(judgment) ?? /\[(\d+(?:\.\d+)?)\]/.exec(judgment);
  if (!m) return undefined;
  const v = Number(m[1]);
  return v >= 1 && v <= 10 ? v : undefined;
}

/** Asks the judge about one case; returns its full judgment text. */
export async function askJudge(cfg: JudgeConfig, userMessage: string): Promise<string> {
  const url = `${cfg.baseUrl.replace(/\/+$/, "")}/chat/completions`;
  const body = {
    model: cfg.model,
    messages: [
      { role: "system", content: JUDGE_SYSTEM },
      { role: "user", content: userMessage },
    ],
    temperature: cfg.temperature ?? 0,
    max_tokens: cfg.maxTokens ?? 2048,
  };
  let res: Response;
  try {
    res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", ...(cfg.apiKey ? { authorization: `Bearer ${cfg.apiKey}` } : {}) },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(cfg.timeoutMs ?? 120_000),
    });
  } catch (e) {
    throw new Error(`judge ${url} unreachable: ${(e as Error).message}`);
  }
  const text = await res.text();
  if (!res.ok) throw new Error(`judge ${url} answered HTTP ${res.status}: ${text.slice(0, 300)}`);
  let content: unknown;
  try {
    content = (JSON.parse(text) as { choices?: { message?: { content?: unknown } }[] }).choices?.[0]?.message?.content;
  } catch {
    throw new Error(`judge ${url} answered non-JSON: ${text.slice(0, 300)}`);
  }
  if (typeof content !== "string")
    throw new Error(`judge ${url}: response lacks choices[0].message.content: ${text.slice(0, 300)}`);
  return content;
}
