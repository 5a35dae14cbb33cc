// `peft-nb queue status | retry`: look at a sweep's queue, put its failed runs back.
import { parseArgs } from "node:util";
import type { CliCommand } from "../../kernel/cli/main.js";
import { queueUrlFrom } from "../sweep/queue-url.js";
import { queueStatus, retryFailed, statusText } from "../sweep/queue-status.js";
import { DirectoryResultStore } from "../sweep/result-store.js";

const USAGE = `usage: peft-nb queue <status|retry> [options]

  status    jobs waiting, active, done and failed per notebook; workers alive; failed runs
  retry     put failed runs back in the queue (all, or --notebook NAME's)

  --queue URL          redis://[user:password@]host:port[/db] or rediss://…; default PEFT_QUEUE_URL
  --store DIR          also count the results in this result store (status)
  --notebook NAME      only this notebook's runs (retry)
  --queue-name NAME    queue name (default PEFT_QUEUE_NAME, else peft-runs)
  --json               status as JSON`;

export async function queueCommand(argv: string[]): Promise<number> {
  let values;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        queue: { type: "string" },
        store: { type: "string" },
        notebook: { type: "string" },
        "queue-name": { type: "string" },
        json: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (err) {
    console.error(`peft-nb queue: ${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const [action, ...extra] = positionals;
  if ((action !== "status" && action !== "retry") || extra.length > 0) {
    console.error(
      `peft-nb queue: expected 'status' or 'retry', found ${JSON.stringify(positionals.join(" "))}\n\n${USAGE}`,
    );
    return 2;
  }
  try {
    const url = queueUrlFrom(values.queue);
    if (!url) throw new Error("no queue: pass --queue redis://host:port or set PEFT_QUEUE_URL");
    const queueName = values["queue-name"];
    if (action === "status") {
      const s = await queueStatus(url, {
        ...(queueName ? { queueName } : {}),
        ...(values.store ? { store: new DirectoryResultStore(values.store) } : {}),
      });
      console.log(values.json ? JSON.stringify(s, null, 1) : statusText(s));
    } else {
      const keys = await retryFailed(url, {
        ...(queueName ? { queueName } : {}),
        ...(values.notebook ? { notebook: values.notebook } : {}),
      });
      console.log(keys.length ? `back in the queue: ${keys.join(", ")}` : "no failed runs");
    }
    return 0;
  } catch (err) {
    console.error(`peft-nb queue: ${(err as Error).message}`);
    return 1;
  }
}

export const command: CliCommand = {
  summary: "a sweep's queue: status (jobs per notebook, workers alive), retry failed runs",
  run: (argv) => queueCommand(argv),
};
