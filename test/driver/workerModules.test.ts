import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadedModules } from '../helpers/loadedModules.js';

describe("a load worker's modules", () => {
  it("load no zod: each load worker would carry about 3 MB of it (the protocol's zod-free files serve them)", async () => {
    // The script stops at its first line outside a worker thread, once every module it imports has loaded.
    const script = new URL('../../src/driver/workers/loadWorker.js', import.meta.url);
    const { loaded, stderr } = await loadedModules(script.pathname);
    assert.ok(loaded.some((url) => url.endsWith('/driver/workers/loadWorker.js')), `the hooks saw no module:\n${stderr}`);
    assert.ok(loaded.some((url) => url.endsWith('/driver/http1/responseParser.js')), `the worker's modules did not load:\n${stderr}`);
    assert.deepEqual(loaded.filter((url) => url.includes('/node_modules/zod/') || url.endsWith('/protocol/index.js')), []);
  });
});
