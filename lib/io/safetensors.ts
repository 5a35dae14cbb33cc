// safetensors: an 8-byte little-endian header length, a JSON header mapping tensor names to
// {dtype, shape, data_offsets}, then the raw little-endian bytes. f16 and bf16 are widened to
// f32 on read: training here is f32, and widening is exact.
import { open, readFile, rename, writeFile } from "node:fs/promises";
import { CheckpointError } from "./errors.js";

export type SafetensorsDtype = "F32" | "F16" | "BF16" | "F64" | "I64" | "I32" | "I16" | "I8" | "U8" | "BOOL";

export interface HostTensor {
  shape: number[];
  /** Values widened to f32 (integer dtypes are converted too). */
  data: Float32Array;
  /** The dtype stored in the file. */
  dtype: SafetensorsDtype;
}

export interface SafetensorsFile {
  tensors: Map<string, HostTensor>;
  metadata: Record<string, string>;
}

const BYTES: Record<SafetensorsDtype, number> = {
  F32: 4,
  F16: 2,
  BF16: 2,
  F64: 8,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
};

/** Largest JSON header accepted (the reference implementation uses 100 MB). */
const MAX_HEADER = 100 * 1024 * 1024;

export class SafetensorsError extends CheckpointError {
  constructor(file: string, message: string) {
    super(file, message);
    this.name = "SafetensorsError";
  }
}

function f16ToF32(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

/** Typed arrays use the host byte order; the file is little-endian. */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function decode(file: string, name: string, dtype: SafetensorsDtype, bytes: Uint8Array): Float32Array {
  const n = bytes.byteLength / BYTES[dtype];
  // Bulk copy instead of per-element DataView reads (several times faster on large checkpoints).
  if (dtype === "F32" && LITTLE_ENDIAN) return new Float32Array(new Uint8Array(bytes).buffer);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(n);
  switch (dtype) {
    case "F32":
      for (let i = 0; i < n; i++) out[i] = view.getFloat32(i * 4, true);
      break;
    case "F64":
      for (let i = 0; i < n; i++) out[i] = view.getFloat64(i * 8, true);
      break;
    case "F16":
      for (let i = 0; i < n; i++) out[i] = f16ToF32(view.getUint16(i * 2, true));
      break;
    case "BF16": {
      const u32 = new Uint32Array(out.buffer);
      for (let i = 0; i < n; i++) u32[i] = view.getUint16(i * 2, true) << 16;
      break;
    }
    case "I64":
      for (let i = 0; i < n; i++) out[i] = Number(view.getBigInt64(i * 8, true));
      break;
    case "I32":
      for (let i = 0; i < n; i++) out[i] = view.getInt32(i * 4, true);
      break;
    case "I16":
      for (let i = 0; i < n; i++) out[i] = view.getInt16(i * 2, true);
      break;
    case "I8":
      for (let i = 0; i < n; i++) out[i] = view.getInt8(i);
      break;
    case "U8":
    case "BOOL":
      for (let i = 0; i < n; i++) out[i] = view.getUint8(i);
      break;
    default:
      throw new SafetensorsError(file, `tensor '${name}': unsupported dtype '${dtype as string}'`);
  }
  return out;
}

/** Parses a whole safetensors buffer; `file` is used in error messages only. */
export function parseSafetensors(buf: Uint8Array, file = "<buffer>"): SafetensorsFile {
  if (buf.byteLength < 8) {
    throw new SafetensorsError(file, `truncated: ${buf.byteLength} bytes, too short for the 8-byte header length`);
  }
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const headerLen = Number(view.getBigUint64(0, true));
  if (headerLen > MAX_HEADER) {
    throw new SafetensorsError(file, `corrupt header: declared header length ${headerLen} exceeds ${MAX_HEADER} bytes`);
  }
  if (8 + headerLen > buf.byteLength) {
    throw new SafetensorsError(
      file,
      `truncated header: declares ${headerLen} bytes but only ${buf.byteLength - 8} follow`,
    );
  }
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder().decode(buf.subarray(8, 8 + headerLen)));
  } catch (err) {
    throw new SafetensorsError(file, `corrupt header: not valid JSON (${(err as Error).message})`);
  }
  if (header === null || typeof header !== "object" || Array.isArray(header)) {
    throw new SafetensorsError(file, "corrupt header: expected a JSON object");
  }
  const dataStart = 8 + headerLen;
  const dataLen = buf.byteLength - dataStart;
  const tensors = new Map<string, HostTensor>();
  const spans: Array<[number, number, string]> = [];
  let metadata: Record<string, string> = {};
  for (const [name, entry] of Object.entries(header)) {
    if (name === "__metadata__") {
      metadata = (entry ?? {}) as Record<string, string>;
      continue;
    }
    const e = entry as { dtype?: string; shape?: unknown; data_offsets?: unknown };
    const dtype = e.dtype as SafetensorsDtype;
    if (!(dtype in BYTES)) {
      throw new SafetensorsError(file, `tensor '${name}': unsupported dtype '${String(e.dtype)}'`);
    }
    if (!Array.isArray(e.shape) || !e.shape.every((d) => Number.isInteger(d) && d >= 0)) {
      throw new SafetensorsError(file, `tensor '${name}': invalid shape ${JSON.stringify(e.shape)}`);
    }
    const offs = e.data_offsets;
    if (
      !Array.isArray(offs) ||
      offs.length !== 2 ||
      !offs.every((o) => Number.isInteger(o) && o >= 0) ||
      offs[0] > offs[1]
    ) {
      throw new SafetensorsError(file, `tensor '${name}': invalid data_offsets ${JSON.stringify(offs)}`);
    }
    const shape = e.shape as number[];
    const [begin, end] = offs as [number, number];
    const count = shape.reduce((a, b) => a * b, 1);
    if (end - begin !== count * BYTES[dtype]) {
      throw new SafetensorsError(
        file,
        `tensor '${name}': shape [${shape.join(", ")}] of ${dtype} needs ${count * BYTES[dtype]} bytes, data_offsets span ${end - begin}`,
      );
    }
    if (end > dataLen) {
      throw new SafetensorsError(
        file,
        `truncated: tensor '${name}' ends at byte ${end} of the data section, which has ${dataLen}`,
      );
    }
    // A view: decode() always returns fresh memory, so tensors never pin the file buffer.
    const bytes = buf.subarray(dataStart + begin, dataStart + end);
    spans.push([begin, end, name]);
    tensors.set(name, { shape, dtype, data: decode(file, name, dtype, bytes) });
  }
  // Overlapping spans mean a corrupt or hostile header (the reference reader rejects them too).
  spans.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  for (let i = 1; i < spans.length; i++) {
    const [pb, pe, pn] = spans[i - 1] as [number, number, string];
    const [b, , n] = spans[i] as [number, number, string];
    if (b < pe && pe > pb)
      throw new SafetensorsError(file, `corrupt header: tensors '${pn}' and '${n}' overlap in the data section`);
  }
  return { tensors, metadata };
}

export async function readSafetensors(path: string): Promise<SafetensorsFile> {
  let buf: Buffer;
  try {
    buf = await readFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new SafetensorsError(path, code === "ENOENT" ? "file not found" : (err as Error).message);
  }
  return parseSafetensors(buf, path);
}

/** Reads only the JSON header (names, dtypes, shapes) without loading tensor data. */
export async function readSafetensorsHeader(path: string): Promise<Record<string, { dtype: string; shape: number[] }>> {
  const fh = await open(path, "r").catch((err: NodeJS.ErrnoException) => {
    throw new SafetensorsError(path, err.code === "ENOENT" ? "file not found" : err.message);
  });
  try {
    const lenBuf = Buffer.alloc(8);
    const { bytesRead } = await fh.read(lenBuf, 0, 8, 0);
    if (bytesRead < 8) throw new SafetensorsError(path, "truncated: too short for the 8-byte header length");
    const headerLen = Number(lenBuf.readBigUInt64LE(0));
    if (headerLen > MAX_HEADER)
      throw new SafetensorsError(path, `corrupt header: declared length ${headerLen} too large`);
    const hdr = Buffer.alloc(headerLen);
    const r = await fh.read(hdr, 0, headerLen, 8);
    if (r.bytesRead < headerLen)
      throw new SafetensorsError(path, `truncated header: declares ${headerLen} bytes, file has ${r.bytesRead}`);
    let parsed: Record<string, { dtype: string; shape: number[] }>;
    try {
      parsed = JSON.parse(hdr.toString("utf8")) as Record<string, { dtype: string; shape: number[] }>;
    } catch (err) {
      throw new SafetensorsError(path, `corrupt header: not valid JSON (${(err as Error).message})`);
    }
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
      throw new SafetensorsError(path, "corrupt header: expected a JSON object");
    }
    delete (parsed as Record<string, unknown>).__metadata__;
    return parsed;
  } finally {
    await fh.close();
  }
}

export interface TensorToWrite {
  shape: number[];
  data: Float32Array;
}

/** Serialises f32 tensors; names are sorted so the same tensors always give the same bytes. */
export function serializeSafetensors(
  tensors: Map<string, TensorToWrite> | Record<string, TensorToWrite>,
  metadata: Record<string, string> = {},
): Uint8Array {
  const entries = (tensors instanceof Map ? [...tensors.entries()] : Object.entries(tensors)).sort(([a], [b]) =>
    a < b ? -1 : a > b ? 1 : 0,
  );
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length) header.__metadata__ = metadata;
  let offset = 0;
  for (const [name, t] of entries) {
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (count !== t.data.length) {
      throw new Error(
        `safetensors: tensor '${name}' has shape [${t.shape.join(", ")}] (${count} values) but ${t.data.length} values`,
      );
    }
    header[name] = { dtype: "F32", shape: t.shape, data_offsets: [offset, offset + count * 4] };
    offset += count * 4;
  }
  let json = JSON.stringify(header);
  // Pad with spaces so the data section is 8-byte aligned, as the reference writer does.
  json += " ".repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8);
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.byteLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.byteLength), true);
  out.set(headerBytes, 8);
  const view = new DataView(out.buffer);
  let pos = 8 + headerBytes.byteLength;
  for (const [, t] of entries) {
    // Only a real Float32Array may be copied as bytes (an Int32Array from dataSync() must be converted).
    if (LITTLE_ENDIAN && t.data instanceof Float32Array) {
      out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), pos);
      pos += t.data.byteLength;
    } else {
      for (let i = 0; i < t.data.length; i++, pos += 4) view.setFloat32(pos, t.data[i] as number, true);
    }
  }
  return out;
}

/** Writes atomically (temp file + rename) so a crash never leaves a half-written checkpoint. */
export async function writeSafetensors(
  path: string,
  tensors: Map<string, TensorToWrite> | Record<string, TensorToWrite>,
  metadata: Record<string, string> = {},
): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}-${Date.now()}`;
  await writeFile(tmp, serializeSafetensors(tensors, metadata));
  await rename(tmp, path);
}
