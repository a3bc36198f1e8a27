import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { tempDir } from './helpers/processes.js';

const LOGGER = new URL('../src/log/logger.js', import.meta.url).href;
const QUIET_LOGS = fileURLToPath(new URL('./helpers/quietLogs.js', import.meta.url));

/** Runs one test file the way scripts/test.sh runs the suite, and gives its whole output. */
async function runTestFile(body: string): Promise<string> {
  const file = join(tempDir('stampede-quiet-logs-'), 'sample.test.mjs');
  writeFileSync(file, `import { it } from 'node:test';\nimport { createLogger } from '${LOGGER}';\nconst log = createLogger('sample');\n${body}\n`);
  // Without the variable that tells node:test it already runs inside a test file.
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => name !== 'NODE_TEST_CONTEXT'));
  const child = spawn(process.execPath, ['--test', '--test-reporter=spec', '--import', QUIET_LOGS, file], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await new Promise((resolve) => child.once('exit', resolve));
  return output;
}

describe('the suite keeps logs of passing tests out of its output', () => {
  it('prints no log line of a passing test, and every line of a file with a failing one', async () => {
    const passing = await runTestFile(`it('passes', () => { log.info('only for failures'); });`);
    assert.match(passing, /✔ passes/);
    assert.doesNotMatch(passing, /only for failures/);

    const failing = await runTestFile(`it('fails', () => { log.info('what led to it'); throw new Error('boom'); });`);
    assert.match(failing, /✖ fails/);
    assert.match(failing, /"msg":"what led to it"/);
  });
});
