import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { freePort } from '../helpers/recordingServer.js';

function stampedeDriver(args: string[]) {
  const result = spawnSync(process.execPath, ['bin/stampede.js', 'driver', ...args], { encoding: 'utf8', timeout: 30_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const REQUIRED = ['--kafka', '127.0.0.1:9092', '--orchestrator', '127.0.0.1:7070'];

describe('stampede driver (command line)', () => {
  it('prints help and exits 0', () => {
    const { code, stdout } = stampedeDriver(['--help']);
    assert.equal(code, 0);
    assert.match(stdout, /--kafka HOST:PORT/);
    assert.match(stdout, /--concurrency N/);
  });

  for (const [args, flag] of [
    [['--orchestrator', '127.0.0.1:7070'], '--kafka'],
    [['--kafka', '127.0.0.1:9092'], '--orchestrator'],
    [['--kafka', 'localhost', '--orchestrator', '127.0.0.1:7070'], '--kafka'],
    [[...REQUIRED, '--concurrency', '0'], '--concurrency'],
    [[...REQUIRED, '--target', 'ftp://example.com'], '--target'],
    [[...REQUIRED, '--listen', 'nowhere'], '--listen'],
    [[...REQUIRED, '--id', 'has space'], '--id'],
    [[...REQUIRED, '--bogus'], '--bogus'],
  ] as const) {
    it(`rejects ${args.join(' ')} with one line naming ${flag} and exit 2`, () => {
      const { code, stderr } = stampedeDriver([...args]);
      assert.equal(code, 2);
      assert.equal(stderr.trim().split('\n').length, 1, stderr);
      assert.ok(stderr.includes(flag), stderr);
    });
  }

  it('says clearly that Kafka cannot be reached and exits 1, without a stack trace', async () => {
    const port = await freePort();
    const { code, stdout, stderr } = stampedeDriver(['--kafka', `127.0.0.1:${port}`, '--orchestrator', '127.0.0.1:7070']);
    assert.equal(code, 1);
    const lines = stderr.split('\n').filter((line) => line.startsWith('stampede'));
    assert.equal(lines.length, 1, stderr);
    assert.match(lines[0]!, /cannot reach Kafka at 127\.0\.0\.1:\d+/);
    assert.doesNotMatch(stderr, /^\s+at /m);
    assert.equal(stdout, '');
  });
});
