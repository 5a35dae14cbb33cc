// The CLI seam: one table of subcommands, node:util parseArgs for all, one IO, the same answers
// to --help, unknown options and bad values from every command.
import { describe, expect, it } from "vitest";
import { COMMANDS, runCli } from "../../cli/main.js";
import { type CliIO, defineCommand, runCommand, UsageError } from "../../cli/command.js";
import { kernelArgvOption, nonNegativeInteger, numberOption, timeoutOption } from "../../cli/options.js";

function recorder(): { io: CliIO; out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (t) => out.push(t), err: (t) => err.push(t) }, out, err };
}

describe("peft-nb", () => {
  it("lists every registered command with its summary, exit 2 without a command and 0 for --help", async () => {
    const bare = recorder();
    expect(await runCli([], bare.io)).toBe(2);
    const help = recorder();
    expect(await runCli(["--help"], help.io)).toBe(0);
    expect(help.out.join("\n")).toBe(bare.err.join("\n"));
    for (const [name, entry] of Object.entries(COMMANDS))
      expect(help.out.join("\n")).toMatch(new RegExp(`^  ${name} +${entry.summary.replace(/[()]/g, "\\$&")}$`, "m"));
  });

  it("names an unknown command (even one that is an Object.prototype key)", async () => {
    for (const name of ["frobnicate", "toString"]) {
      const r = recorder();
      expect(await runCli([name], r.io)).toBe(2);
      expect(r.err.join("\n")).toMatch(new RegExp(`unknown command '${name}'`));
    }
  });

  it.each(Object.keys(COMMANDS))("loads '%s' from its own module, named as in the table, with --help", async (name) => {
    const command = await COMMANDS[name]!.load();
    expect(command.name).toBe(name);
    const r = recorder();
    expect(await runCli([name, "--help"], r.io)).toBe(0);
    expect(r.out.join("\n")).toMatch(new RegExp(`^usage: peft-nb ${name}\\b`));
    const bad = recorder();
    expect(await runCli([name, "--no-such-option"], bad.io)).toBe(2);
    expect(bad.err.join("\n")).toMatch(new RegExp(`^peft-nb ${name}: Unknown option '--no-such-option'`));
  });
});

describe("runCommand", () => {
  const probe = defineCommand({
    name: "probe",
    usage: "usage: peft-nb probe [--n N] [--fail MODE]",
    options: { n: { type: "string" }, fail: { type: "string" } },
    async run({ values }, io) {
      const n = numberOption(values.n, "--n", nonNegativeInteger(7));
      if (values.fail === "usage") throw new UsageError("--fail: usage asked for");
      if (values.fail === "crash") throw new Error("disk on fire");
      io.out(`n=${n}`);
      return 0;
    },
  });

  it("hands typed, defaulted values to run()", async () => {
    const r = recorder();
    expect(await runCommand(probe, [], r.io)).toBe(0);
    expect(r.out).toEqual(["n=7"]);
    expect(await runCommand(probe, ["--n=3"], r.io)).toBe(0);
    expect(r.out).toEqual(["n=7", "n=3"]);
  });

  it("exits 2 for bad usage (with the usage unless the value alone is wrong) and 1 for a failure", async () => {
    const usage = recorder();
    expect(await runCommand(probe, ["--fail", "usage"], usage.io)).toBe(2);
    expect(usage.err.join("\n")).toBe(
      "peft-nb probe: --fail: usage asked for\n\nusage: peft-nb probe [--n N] [--fail MODE]",
    );
    const value = recorder();
    expect(await runCommand(probe, ["--n=-1"], value.io)).toBe(2);
    expect(value.err).toEqual(["peft-nb probe: --n: expected a non-negative integer, found '-1'"]);
    const positional = recorder();
    expect(await runCommand(probe, ["extra"], positional.io)).toBe(2);
    expect(positional.err.join("\n")).toMatch(/^peft-nb probe: unexpected argument 'extra'/);
    const crash = recorder();
    expect(await runCommand(probe, ["--fail", "crash"], crash.io)).toBe(1);
    expect(crash.err).toEqual(["peft-nb probe: disk on fire"]);
  });
});

describe("shared options", () => {
  it("reads numbers, timeouts and kernel commands, naming the flag and the bad value", () => {
    expect(numberOption(undefined, "--k", nonNegativeInteger(4))).toBe(4);
    expect(numberOption("12", "--k", nonNegativeInteger(4))).toBe(12);
    expect(() => numberOption(" ", "--k", nonNegativeInteger(4))).toThrow(
      "--k: expected a non-negative integer, found ' '",
    );
    expect(() => numberOption("1.5", "--k", nonNegativeInteger(4))).toThrow(/found '1.5'/);
    expect(timeoutOption(undefined)).toBeUndefined();
    expect(timeoutOption("2.5")).toBe(2500);
    expect(() => timeoutOption("0")).toThrow("--timeout must be a positive number of seconds, found '0'");
    expect(kernelArgvOption("'my kernel' --cfg {connection_file}")).toEqual([
      "my kernel",
      "--cfg",
      "{connection_file}",
    ]);
    expect(kernelArgvOption(undefined).slice(-3)).toEqual(["kernel", "--connection-file", "{connection_file}"]);
    expect(() => kernelArgvOption("tslab kernel")).toThrow(/--kernel-cmd: .*no \{connection_file\} placeholder/);
  });
});
