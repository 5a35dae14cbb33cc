// Per-layer seeds: adapters initialise on the host from lib/random's stream, so a seed gives the
// same adapter on every backend (tfjs' own seeded ops differ between backends).

/** Mixes a base seed with a layer name so each layer gets its own stream. */
export function layerSeed(seed: number, name: string): number {
  let h = (seed ^ 0x9e3779b9) >>> 0;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}
