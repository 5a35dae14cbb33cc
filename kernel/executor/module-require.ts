// `require` for user cells: resolves from the notebook's working directory first (its own
// node_modules), then from this project, so `import ... from "peft-notebook"` works from any
// folder. ES modules load synchronously through require(esm) (Node >= 20.19).
import { createRequire } from "node:module";
import { join } from "node:path";
import { projectRoot } from "../../lib/project-root.js";

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
