import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { DriverView, TestSummaryView } from '../../src/api/index.js';
import { freePortPair, getJson, startCli, startOrchestratorProcess, stopAllChildren, tempDir } from '../helpers/processes.js';

/** Installed by scripts/ensure-system-packages.sh (npm test runs it first). */
const SCHEMATHESIS = '.stampede/schemathesis-venv/bin/st';
/** Its settings: examples per operation, what a bounded event stream is, the statuses that come before any schema. */
const CONFIG = 'scripts/schemathesis.toml';
/** Generous: on a loaded machine the run takes several times its usual 30–60 s. */
const RUN_TIMEOUT_MS = 600_000;

function runSchemathesis(documentUrl: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(SCHEMATHESIS, ['--config-file', CONFIG, 'run', documentUrl, '--checks', 'all', '--no-color'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), RUN_TIMEOUT_MS);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

/**
 * The orchestrator gets a broker of its own: scripts/test.sh runs this file beside the others (it spends a
 * minute and a half waiting on Schemathesis), and on the suite's broker it would meet their drivers and
 * fire Schemathesis's tests at them.
 */
describe('Schemathesis against the real orchestrator finds nothing (no driver registered, so no load is fired)', () => {
  const dataDir = tempDir('stampede-schemathesis-kafka-');
  const suiteBrokers = process.env.KAFKA_BROKERS;
  let url: string;
  before(async () => {
    const port = await freePortPair();
    const broker = startCli(['kafka', 'start', '--port', String(port), '--data-dir', dataDir]);
    assert.equal(await broker.exited, 0, `kafka start: ${broker.stderr()}`);
    process.env.KAFKA_BROKERS = `127.0.0.1:${port}`;
    ({ url } = await startOrchestratorProcess());
  });
  after(async () => {
    await stopAllChildren();
    await startCli(['kafka', 'stop', '--data-dir', dataDir]).exited;
    process.env.KAFKA_BROKERS = suiteBrokers;
  });

  it('passes every check on every operation of the OpenAPI document', { timeout: RUN_TIMEOUT_MS + 30_000 }, async () => {
    assert.ok(existsSync(SCHEMATHESIS), `${SCHEMATHESIS} is missing: run bash scripts/ensure-system-packages.sh`);
    const alive = (await getJson<DriverView[]>(`${url}/api/drivers`)).filter((d) => d.status === 'alive');
    assert.deepEqual(alive, [], 'no driver may be alive: a test Schemathesis creates must not fire load');

    const { code, output } = await runSchemathesis(`${url}/openapi.json`);
    assert.equal(code, 0, `Schemathesis found problems:\n${output.slice(-12_000)}`);
    assert.match(output, /Tested: 21\b/, 'every operation was tested');

    const tests = await getJson<TestSummaryView[]>(`${url}/api/tests`);
    assert.deepEqual(tests, [], 'no test was created, so none could run');
  });
});
