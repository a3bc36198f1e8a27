import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';

/**
 * In a fresh process (this one's young generation has grown already): allocations that survive, as a
 * module graph's do, inside `loadWithSmallYoungGeneration` and then after it. Prints the young
 * generation's size before, after the held load, and after the same allocations unheld.
 */
const PROBE = `
import { getHeapSpaceStatistics } from 'node:v8';
import { loadWithSmallYoungGeneration } from ${JSON.stringify(new URL('../../src/cli/youngGeneration.js', import.meta.url).href)};
const youngKb = () => getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size / 1024;
const kept = [];
const allocateSurvivors = async () => { for (let i = 0; i < 400_000; i++) kept.push({ i, name: 'module ' + i }); };
const before = youngKb();
await loadWithSmallYoungGeneration(allocateSurvivors);
const held = youngKb();
await allocateSurvivors();
console.log(JSON.stringify({ before, held, after: youngKb() }));
`;

describe('loading a command with a small young generation', () => {
  it('keeps the young generation at its size while loading, and lets it grow afterwards', () => {
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', PROBE], { encoding: 'utf8' });
    const { before, held, after } = JSON.parse(out) as { before: number; held: number; after: number };
    // Unheld, the same survivors grow it from 1 MB to 32 MB; held, only its second semi-space gets committed.
    assert.ok(held <= 2 * before, `the young generation grew from ${before} KB to ${held} KB while held`);
    assert.ok(after >= 4 * held, `the young generation was ${after} KB after the load (${held} KB held): V8's growth was not restored`);
  });
});
