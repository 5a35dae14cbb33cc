// The kernel's logo: TypeScript blue with a low-rank "adapter" motif (a tall and a wide bar
// meeting in a square, B x A), drawn procedurally at any size.
import { encodePng } from "./png.js";

export function logoPng(size: number): Buffer {
  const px = new Uint8Array(size * size * 4);
  const blue = [49, 120, 198];
  const white = [255, 255, 255];
  const u = size / 16;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      // Rounded square background.
      const r = 3 * u;
      const cx = Math.min(Math.max(x + 0.5, r), size - r);
      const cy = Math.min(Math.max(y + 0.5, r), size - r);
      const inside = (x + 0.5 - cx) ** 2 + (y + 0.5 - cy) ** 2 <= r * r;
      const fx = x / u;
      const fy = y / u;
      // B: a tall thin bar; A: a wide thin bar; their product is the square.
      const tall = fx >= 3 && fx < 5 && fy >= 3 && fy < 13;
      const wide = fx >= 6 && fx < 13 && fy >= 3 && fy < 5;
      const square = fx >= 6 && fx < 13 && fy >= 6 && fy < 13 && (fx < 7 || fx >= 12 || fy < 7 || fy >= 12);
      const c = tall || wide || square ? white : blue;
      const i = (y * size + x) * 4;
      px[i] = c[0]!;
      px[i + 1] = c[1]!;
      px[i + 2] = c[2]!;
      px[i + 3] = inside ? 255 : 0;
    }
  }
  return encodePng(size, size, px);
}
