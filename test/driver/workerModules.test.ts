import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Module hooks that print every module a process loads, one `loaded <url>` line each, on stderr. */
const PRINT_LOADS = `data:text/javascript,${encodeURIComponent(`
import { writeSync } from 'node:fs';
export async function load(url, context, next) { writeSync(2, 'loaded ' + url + '\\n'); return next(url, context); }
`)}`;
const REGISTER = `data:text/javascript,${encodeURIComponent(`import { register } from 'node:module'; register(${JSON.stringify(PRINT_LOADS)});`)}`;

describe("a load worker's modules", () => {
  it("load no zod: each load worker would carry about 3 MB of it (the protocol's zod-free files serve them)", async () => {
    // The script stops at its first line outside a worker thread, once every module it imports has loaded.
    const script = new URL('../../src/driver/workers/loadWorker.js', import.meta.url);
    const { stderr } = await run(process.execPath, ['--import', REGISTER, script.pathname]).catch((failure: { stderr: string }) => failure);
    const loaded = [...stderr.matchAll(/^loaded (\S+)$/gm)].map((m) => m[1]!);
    assert.ok(loaded.some((url) => url.endsWith('/driver/workers/loadWorker.js')), `the hooks saw no module:\n${stderr}`);
    assert.ok(loaded.some((url) => url.includes('/node_modules/undici/')), `the worker's modules did not load:\n${stderr}`);
    assert.deepEqual(loaded.filter((url) => url.includes('/node_modules/zod/') || url.endsWith('/protocol/index.js')), []);
  });
});
