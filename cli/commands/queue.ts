// `peft-nb queue status | retry`: look at a sweep's queue, put its failed runs back.
import { queueUrlFrom } from "../../lib/sweep/queue-url.js";
import { queueStatus, retryFailed, statusText } from "../../lib/sweep/queue-status.js";
import { DirectoryResultStore } from "../../lib/sweep/result-store.js";
import { defineCommand, UsageError } from "../command.js";

export const command = defineCommand({
  name: "queue",
  usage: `usage: peft-nb queue <status|retry> [options]

  status    jobs waiting, active, done and failed per notebook; workers alive; failed runs
  retry     put failed runs back in the queue (all, or --notebook NAME's)

  --queue URL          redis://[user:password@]host:port[/db] or rediss://…; default PEFT_QUEUE_URL
  --store DIR          also count the results in this result store (status)
  --notebook NAME      only this notebook's runs (retry)
  --queue-name NAME    queue name (default PEFT_QUEUE_NAME, else peft-runs)
  --json               status as JSON`,
  positionals: true,
  options: {
    queue: { type: "string" },
    store: { type: "string" },
    notebook: { type: "string" },
    "queue-name": { type: "string" },
    json: { type: "boolean" },
  },
  async run({ values, positionals }, io) {
    const [action, ...extra] = positionals;
    if ((action !== "status" && action !== "retry") || extra.length > 0)
      throw new UsageError(`expected 'status' or 'retry', found ${JSON.stringify(positionals.join(" "))}`);
    const url = queueUrlFrom(values.queue);
    if (!url) throw new UsageError("no queue: pass --queue redis://host:port or set PEFT_QUEUE_URL", false);
    const queueName = values["queue-name"];
    if (action === "status") {
      const s = await queueStatus(url, {
        ...(queueName ? { queueName } : {}),
        ...(values.store ? { store: new DirectoryResultStore(values.store) } : {}),
      });
      io.out(values.json ? JSON.stringify(s, null, 1) : statusText(s));
    } else {
      const keys = await retryFailed(url, {
        ...(queueName ? { queueName } : {}),
        ...(values.notebook ? { notebook: values.notebook } : {}),
      });
      io.out(keys.length ? `back in the queue: ${keys.join(", ")}` : "no failed runs");
    }
    return 0;
  },
});
