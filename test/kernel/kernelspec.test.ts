import { mkdtempSync, readFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { kernelJson, kernelsDir, userDataDir, writeKernelspec } from "../../kernel/kernelspec/kernelspec.js";
import { runCli } from "../../cli/main.js";
import { runPythonJson } from "../helpers/python.js";

const here = new URL(".", import.meta.url).pathname;

describe("kernelspec", () => {
  it("writes kernel.json with absolute node and bin paths and message interrupts", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ks-"));
    const folder = await writeKernelspec(dir, kernelJson("/opt/node/bin/node", "/srv/peft/bin/peft-nb.js"));
    const spec = JSON.parse(readFileSync(join(folder, "kernel.json"), "utf8"));
    expect(folder).toBe(join(dir, "peft-nb"));
    expect(spec).toMatchObject({
      argv: ["/opt/node/bin/node", "/srv/peft/bin/peft-nb.js", "kernel", "--connection-file", "{connection_file}"],
      display_name: "TypeScript (PEFT)",
      language: "typescript",
      interrupt_mode: "message",
    });
  });

  it("writes logos that an independent PNG reader accepts", async () => {
    const folder = await writeKernelspec(mkdtempSync(join(tmpdir(), "ks-")), kernelJson("n", "b"));
    for (const size of [32, 64]) {
      const png = runPythonJson<{ width: number; height: number; chunks: string[]; opaque: number }>(
        join(here, "helpers", "png_check.py"),
        [join(folder, `logo-${size}x${size}.png`)],
      );
      expect(png).toMatchObject({ width: size, height: size, chunks: ["IHDR", "IDAT", "IEND"] });
      // rounded corners are transparent, the body opaque
      expect(png.opaque).toBeGreaterThan(size * size * 0.9);
      expect(png.opaque).toBeLessThan(size * size);
    }
  });

  it("install --prefix writes under PREFIX/share/jupyter/kernels and pointing at this checkout", async () => {
    const prefix = mkdtempSync(join(tmpdir(), "prefix-"));
    expect(await runCli(["install", "--prefix", prefix])).toBe(0);
    const spec = JSON.parse(
      readFileSync(join(prefix, "share", "jupyter", "kernels", "peft-nb", "kernel.json"), "utf8"),
    );
    expect(spec.argv[0]).toBe(process.execPath);
    expect(existsSync(spec.argv[1])).toBe(true);
    expect(spec.argv[1]).toMatch(/bin[\\/]peft-nb\.js$/);
  });

  it("install rejects --user with --prefix and unknown flags", async () => {
    expect(await runCli(["install", "--user", "--prefix", "/tmp/x"])).toBe(2);
    expect(await runCli(["install", "--sys-prefix"])).toBe(2);
  });

  it("finds Jupyter's user data dir as jupyter_core does", () => {
    expect(userDataDir({ JUPYTER_DATA_DIR: "/j" }, "linux")).toBe("/j");
    expect(userDataDir({ XDG_DATA_HOME: "/xdg" }, "linux")).toBe(join("/xdg", "jupyter"));
    expect(kernelsDir({ prefix: "/p" })).toBe(join("/p", "share", "jupyter", "kernels"));
  });
});
