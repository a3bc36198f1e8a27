import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startCli, stopAllChildren } from '../helpers/processes.js';
import { freePort } from '../helpers/recordingServer.js';

function retryLines(stderr: string): string[] {
  return stderr.split('\n').filter((line) => line.includes('cannot reach Kafka') && line.includes('retrying'));
}

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
    assert.match(stdout, /--workers N\|auto/);
  });

  for (const [args, flag] of [
    [['--orchestrator', '127.0.0.1:7070'], '--kafka'],
    [['--kafka', '127.0.0.1:9092'], '--orchestrator'],
    [['--kafka', 'localhost', '--orchestrator', '127.0.0.1:7070'], '--kafka'],
    [[...REQUIRED, '--concurrency', '0'], '--concurrency'],
    [[...REQUIRED, '--workers', '0'], '--workers'],
    [[...REQUIRED, '--workers', 'all'], '--workers'],
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

  it('keeps retrying an unreachable Kafka with a log line every few seconds, and stops cleanly on SIGTERM', { timeout: 60_000 }, async () => {
    const port = await freePort();
    const driver = startCli(['driver', '--kafka', `127.0.0.1:${port}`, '--orchestrator', '127.0.0.1:7070'], { STAMPEDE_LOG_LEVEL: 'info' });
    try {
      const deadline = Date.now() + 20_000;
      while (retryLines(driver.stderr()).length < 2 && Date.now() < deadline && driver.process.exitCode === null) await sleep(250);
      const lines = retryLines(driver.stderr());
      assert.ok(lines.length >= 2, `expected two retry log lines, stderr:\n${driver.stderr()}`);
      assert.match(lines[0]!, /ECONNREFUSED/);
      const gapMs = (JSON.parse(lines[1]!) as { time: number }).time - (JSON.parse(lines[0]!) as { time: number }).time;
      assert.ok(gapMs >= 2_500, `retry lines ${gapMs} ms apart: one every few seconds, not one per attempt`);
      driver.process.kill('SIGTERM');
      assert.equal(await driver.exited, 0);
      assert.equal(driver.stdout(), '');
    } finally {
      await stopAllChildren();
    }
  });
});
