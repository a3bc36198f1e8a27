import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { Admin } from '@platformatic/kafka';
import { freePortPair } from './helpers/processes.js';

/** dist/test/broker.test.js → the package root's bin/stampede.js. */
const cliPath = fileURLToPath(new URL('../../bin/stampede.js', import.meta.url));

type CliResult = { code: number; stdout: string; stderr: string };

function stampedeKafka(args: string[]): Promise<CliResult> {
  return new Promise((done) => {
    execFile(process.execPath, [cliPath, 'kafka', ...args], { timeout: 70_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      done({ code, stdout, stderr });
    });
  });
}

function listen(port: number): Promise<Server> {
  return new Promise((done, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => done(server));
  });
}

function close(server: Server): Promise<void> {
  return new Promise((done) => server.close(() => done()));
}

function portOf(server: Server): number {
  const bound = server.address();
  if (bound === null || typeof bound === 'string') throw new Error('server has no TCP address');
  return bound.port;
}

async function brokerIds(port: number): Promise<number[]> {
  const admin = new Admin({ clientId: 'broker-test', bootstrapBrokers: [`127.0.0.1:${port}`], retries: 0 });
  try {
    const metadata = await admin.metadata({ topics: [] });
    return [...metadata.brokers.keys()];
  } finally {
    await admin.close();
  }
}

describe('stampede kafka (a second broker beside the suite one)', () => {
  const dataDirs: string[] = [];
  const newDataDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'stampede-kafka-'));
    dataDirs.push(dir);
    return dir;
  };
  after(() => dataDirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  it('starts, answers metadata and kcat, is harmless to start again, reports status, and stops', { timeout: 120_000 }, async () => {
    const dataDir = newDataDir();
    const port = await freePortPair();
    const started = await stampedeKafka(['start', '--port', String(port), '--data-dir', dataDir]);
    assert.equal(started.code, 0, started.stderr);
    assert.match(started.stdout, new RegExp(`^Kafka broker running on 127\\.0\\.0\\.1:${port} \\(pid \\d+`));
    try {
      assert.deepEqual(await brokerIds(port), [1]);
      const kcat = execFileSync('kcat', ['-b', `127.0.0.1:${port}`, '-L', '-m', '10'], { encoding: 'utf8', timeout: 15_000 });
      assert.match(kcat, new RegExp(`1 brokers:\\s+broker 1 at 127\\.0\\.0\\.1:${port}`));

      const again = await stampedeKafka(['start', '--port', String(port), '--data-dir', dataDir]);
      assert.equal(again.code, 0, again.stderr);
      assert.match(again.stdout, new RegExp(`already running on 127\\.0\\.0\\.1:${port}`));

      const status = await stampedeKafka(['status', '--data-dir', dataDir]);
      assert.equal(status.code, 0);
      assert.match(status.stdout, new RegExp(`running on 127\\.0\\.0\\.1:${port}`));
    } finally {
      const stopped = await stampedeKafka(['stop', '--data-dir', dataDir]);
      assert.equal(stopped.code, 0, stopped.stderr);
      assert.match(stopped.stdout, /stopped \(pid \d+\)/);
    }
    const after = await stampedeKafka(['status', '--data-dir', dataDir]);
    assert.equal(after.code, 3);
    assert.match(after.stdout, /not running/);
    assert.match((await stampedeKafka(['stop', '--data-dir', dataDir])).stdout, /not running/);

    // A clean stop leaves the JVM's class archive (if no broker did before), and every start maps it.
    const restarted = await stampedeKafka(['start', '--port', String(port), '--data-dir', dataDir]);
    assert.equal(restarted.code, 0, restarted.stderr);
    const pid = restarted.stdout.match(/\(pid (\d+)/)![1]!;
    const jvmFlags = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    assert.equal((await stampedeKafka(['stop', '--data-dir', dataDir])).code, 0);
    const archive = jvmFlags.find((flag) => flag.startsWith('-XX:SharedArchiveFile='))?.split('=')[1];
    assert.ok(archive !== undefined && existsSync(archive), `the broker maps a class archive: ${jvmFlags.join(' ')}`);
  });

  it('refuses a port that another program holds, naming it in one line', async () => {
    const blocker = await listen(0);
    const port = portOf(blocker);
    try {
      const result = await stampedeKafka(['start', '--port', String(port), '--data-dir', newDataDir()]);
      assert.equal(result.code, 1);
      assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
      assert.match(result.stderr, new RegExp(`127\\.0\\.0\\.1:${port} is already in use`));
    } finally {
      await close(blocker);
    }
  });

  it('refuses a controller port (port + 1) that another program holds', async () => {
    const port = await freePortPair();
    const blocker = await listen(port + 1);
    try {
      const result = await stampedeKafka(['start', '--port', String(port), '--data-dir', newDataDir()]);
      assert.equal(result.code, 1);
      assert.match(result.stderr, new RegExp(`controller port \\(port \\+ 1\\) 127\\.0\\.0\\.1:${port + 1} is already in use`));
    } finally {
      await close(blocker);
    }
  });

  it('rejects a bad action or flag with exit code 2, and prints help with exit code 0', async () => {
    assert.equal((await stampedeKafka(['launch'])).code, 2);
    assert.equal((await stampedeKafka(['start', '--port', 'abc'])).code, 2);
    assert.equal((await stampedeKafka(['start', '--port', '65535'])).code, 2);
    const help = await stampedeKafka(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /stampede kafka start/);
  });

  it('rejects start flags that cannot work with exit code 2, naming the flag, before starting anything', async () => {
    const dataDir = newDataDir();
    const cases: [string[], RegExp][] = [
      [['--listen', '0.0.0.0:19999'], /--advertise/],
      [['--listen', '127.0.0.1:19999', '--advertise', '0.0.0.0:19999'], /--advertise/],
      [['--listen', 'nowhere'], /--listen/],
      [['--port', '19999', '--listen', '127.0.0.1:19999'], /either --port or --listen/],
      [['--brokers', '2'], /--brokers must be 1 or 3/],
      [['--sasl-user', 'someone'], /STAMPEDE_KAFKA_PASSWORD/],
    ];
    for (const [flags, message] of cases) {
      const result = await stampedeKafka(['start', ...flags, '--data-dir', dataDir]);
      assert.equal(result.code, 2, `${flags.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, message);
      assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
    }
    const misplaced = await stampedeKafka(['status', '--brokers', '3', '--data-dir', dataDir]);
    assert.equal(misplaced.code, 2);
    assert.match(misplaced.stderr, /--brokers only applies to "kafka start"/);
  });
});
