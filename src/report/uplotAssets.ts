import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** uPlot's script and styles, to inline into a report that must open without a network. Read once. */
let assets: { script: string; css: string } | undefined;

export function uplotAssets(): { script: string; css: string } {
  if (!assets) {
    const dist = join(dirname(createRequire(import.meta.url).resolve('uplot')), '..', 'dist');
    assets = { script: readFileSync(join(dist, 'uPlot.iife.min.js'), 'utf8'), css: readFileSync(join(dist, 'uPlot.min.css'), 'utf8') };
  }
  return assets;
}
