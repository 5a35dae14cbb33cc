// Where this package lives on disk, from source (vitest) and from dist/ alike: the one walk up
// to our package.json that the CLI, the kernel, the data paths and the caches all share.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const PACKAGE_NAME = "peft-notebook";

/** The nearest folder at or above `from` whose package.json is this package's (named peft-notebook). */
export function projectRoot(from = dirname(fileURLToPath(import.meta.url))): string {
  let dir = from;
  for (;;) {
    const pkg = join(dir, "package.json");
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, "utf8")) as { name?: string }).name === PACKAGE_NAME) return dir;
      } catch {
        // an unreadable package.json is not ours; keep walking up
      }
    }
    const up = dirname(dir);
    if (up === dir)
      throw new Error(
        `cannot find the ${PACKAGE_NAME} package root (a package.json named ${PACKAGE_NAME}) above ${from}`,
      );
    dir = up;
  }
}
