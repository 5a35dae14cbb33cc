// kernel_info_reply content. Read once, cheaply: no TypeScript or tfjs load at start-up.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { KernelInfoReply } from "../protocol/replies.js";
import { PROTOCOL_VERSION } from "../wire/message.js";

function versionOf(pkg: string): string {
  try {
    const require = createRequire(import.meta.url);
    return (JSON.parse(readFileSync(require.resolve(`${pkg}/package.json`), "utf8")) as { version: string }).version;
  } catch {
    return "unknown";
  }
}

export function kernelInfoContent(): KernelInfoReply {
  const own = versionOf("peft-notebook");
  const ts = versionOf("typescript");
  return {
    status: "ok",
    protocol_version: PROTOCOL_VERSION,
    implementation: "peft-nb",
    implementation_version: own,
    language_info: {
      name: "typescript",
      version: ts,
      mimetype: "text/typescript",
      file_extension: ".ts",
      pygments_lexer: "typescript",
      codemirror_mode: { name: "javascript", typescript: true },
      nbconvert_exporter: "script",
    },
    banner: `peft-nb ${own}: TypeScript ${ts} on Node.js ${process.versions.node} (tslab semantics, PEFT research library as "peft-notebook")`,
    help_links: [
      { text: "TypeScript handbook", url: "https://www.typescriptlang.org/docs/handbook/intro.html" },
      { text: "tfjs API", url: "https://js.tensorflow.org/api/latest/" },
    ],
    debugger: false,
  };
}
