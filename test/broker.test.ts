import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';

const cli = (args: string[]) => spawnSync('node', ['bin/stampede.js', 'kafka', ...args], { encoding: 'utf8', timeout: 120_000 });

describe('stampede kafka (a second broker beside the suite one)', () => {
  it('starts once, is harmless to start again, reports status, lists in kcat, and stops', { timeout: 180_000 }, () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'stampede-kafka-'));
    const port = 29492;
    const started = cli(['start', '--port', String(port), '--data-dir', dataDir]);
    assert.equal(started.status, 0, started.stderr);
    assert.match(started.stdout, new RegExp(`running on 127.0.0.1:${port}`));
    try {
      const metadata = execFileSync('kcat', ['-b', `127.0.0.1:${port}`, '-L'], { encoding: 'utf8', timeout: 15_000 });
      assert.match(metadata, /1 brokers:\s+broker 1 at 127\.0\.0\.1:29492/);
      const again = cli(['start', '--port', String(port), '--data-dir', dataDir]);
      assert.equal(again.status, 0);
      assert.match(again.stdout, /already running/);
      assert.match(cli(['status', '--data-dir', dataDir]).stdout, /running on 127\.0\.0\.1:29492/);
    } finally {
      const stopped = cli(['stop', '--data-dir', dataDir]);
      assert.equal(stopped.status, 0, stopped.stderr);
      assert.match(stopped.stdout, /stopped/);
    }
    const after = cli(['status', '--data-dir', dataDir]);
    assert.match(after.stdout, /not running/);
    assert.match(cli(['stop', '--data-dir', dataDir]).stdout, /not running/);
  });

  it('refuses a port that another program holds, naming it in one line', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(29592, '127.0.0.1', resolve));
    try {
      const result = cli(['start', '--port', '29592', '--data-dir', mkdtempSync(join(tmpdir(), 'stampede-kafka-'))]);
      assert.equal(result.status, 1);
      assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
      assert.match(result.stderr, /127\.0\.0\.1:29592 is already in use/);
    } finally {
      blocker.close();
    }
  });

  it('rejects a bad action or flag with exit code 2', () => {
    assert.equal(cli(['launch']).status, 2);
    assert.equal(cli(['start', '--port', 'abc']).status, 2);
  });
});
