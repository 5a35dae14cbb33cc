// plotly.js, read from node_modules/plotly.js-dist-min so the report works offline. It is
// inlined once per page however many figures there are.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

let cached: string | null = null;

export function plotlyBundlePath(): string {
  return createRequire(import.meta.url).resolve("plotly.js-dist-min");
}

export function plotlySource(): string {
  if (cached === null) {
    const path = plotlyBundlePath();
    const src = readFileSync(path, "utf8");
    // The bundle never contains "</script" today; guard anyway, since that would end the element.
    cached = src.replace(/<\/script/gi, "<\\/script");
  }
  return cached;
}
