import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CheckpointError } from "../../lib/io/errors.js";
import {
  parseSafetensors,
  readSafetensorsHeader,
  serializeSafetensors,
  writeSafetensors,
} from "../../lib/io/safetensors.js";
import { cleanTempDirs, tempDir } from "./helpers.js";

afterAll(cleanTempDirs);

/** A file with a hand-written header, to build corrupt cases the writer never produces. */
function rawFile(header: unknown, dataBytes: number): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + dataBytes);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  return out;
}

describe("safetensors", () => {
  it("writes values, not bytes, for non-f32 arrays (e.g. an Int32Array from dataSync)", () => {
    const ints = Int32Array.from([1, -2, 3]) as unknown as Float32Array;
    const back = parseSafetensors(serializeSafetensors({ i: { shape: [3], data: ints } }));
    expect(Array.from(back.tensors.get("i")!.data)).toEqual([1, -2, 3]);
  });

  it("decodes f32 from an unaligned offset inside a larger buffer", () => {
    const bytes = serializeSafetensors({
      a: { shape: [1], data: Float32Array.from([1]) },
      b: { shape: [2], data: Float32Array.from([2.5, -7]) },
    });
    const shifted = new Uint8Array(bytes.length + 3);
    shifted.set(bytes, 3);
    const back = parseSafetensors(shifted.subarray(3));
    expect(Array.from(back.tensors.get("b")!.data)).toEqual([2.5, -7]);
  });

  it("rejects overlapping tensors, unknown dtypes and bad offsets by name", () => {
    const overlap = rawFile(
      { a: { dtype: "F32", shape: [2], data_offsets: [0, 8] }, b: { dtype: "F32", shape: [2], data_offsets: [4, 12] } },
      12,
    );
    expect(() => parseSafetensors(overlap, "o.safetensors")).toThrow(
      "o.safetensors: corrupt header: tensors 'a' and 'b' overlap in the data section",
    );
    const dtype = rawFile({ a: { dtype: "Q4", shape: [2], data_offsets: [0, 8] } }, 8);
    expect(() => parseSafetensors(dtype, "d.safetensors")).toThrow("d.safetensors: tensor 'a': unsupported dtype 'Q4'");
    const offs = rawFile({ a: { dtype: "F32", shape: [2], data_offsets: [8, 0] } }, 8);
    expect(() => parseSafetensors(offs, "f.safetensors")).toThrow(
      "f.safetensors: tensor 'a': invalid data_offsets [8,0]",
    );
    expect(() => parseSafetensors(offs, "f.safetensors")).toThrow(CheckpointError);
  });

  it("reads just the header, with a named error for corrupt JSON", async () => {
    const dir = await tempDir();
    const path = join(dir, "h.safetensors");
    await writeSafetensors(path, { w: { shape: [2, 2], data: new Float32Array(4) } }, { format: "pt" });
    expect(await readSafetensorsHeader(path)).toEqual({ w: { dtype: "F32", shape: [2, 2], data_offsets: [0, 16] } });
    const bad = rawFile({}, 0);
    bad[8] = 0x23; // "#"
    await writeFile(path, bad);
    await expect(readSafetensorsHeader(path)).rejects.toThrow(`${path}: corrupt header: not valid JSON`);
    await expect(readSafetensorsHeader(join(dir, "none.safetensors"))).rejects.toThrow(
      "none.safetensors: file not found",
    );
  });
});
