// `require` for user cells: resolves from the notebook's working directory first (its own
// node_modules), then from this project, so `import ... from "peft-notebook"` works from any
// folder. ES modules load synchronously through require(esm) (Node >= 20.19).
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The folder of this package's package.json (works from dist/ and from source). */
export function projectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, "package.json");
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, "utf8")) as { name?: string }).name === "peft-notebook") return dir;
      } catch {
        // not ours; keep walking up
      }
    }
    const up = dirname(dir);
    if (up === dir)
      throw new Error(`peft-nb: no package.json named peft-notebook above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
}

export function createModuleRequire(cwd: string): NodeJS.Require {
  const fromCwd = createRequire(join(cwd, "__notebook__.js"));
  const fromProject = createRequire(join(projectRoot(), "package.json"));
  const req = ((id: string) => {
    try {
      return fromCwd(id);
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code !== "MODULE_NOT_FOUND" && code !== "ERR_PACKAGE_PATH_NOT_EXPORTED") throw err;
      return fromProject(id);
    }
  }) as NodeJS.Require;
  return Object.assign(req, {
    resolve: fromCwd.resolve,
    cache: fromCwd.cache,
    main: fromCwd.main,
    extensions: fromCwd.extensions,
  });
}
