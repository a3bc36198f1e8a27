import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { eventually, freePort, freePortPair, getJson, startCli, stopAllChildren, tempDir } from './helpers/processes.js';

const cliPath = fileURLToPath(new URL('../../bin/stampede.js', import.meta.url));
const USER = 'stampede-test';
const PASSWORD = 'correct-horse-battery-staple';

type CliResult = { code: number; stdout: string; stderr: string; ms: number };

function stampede(args: string[], env: Record<string, string | undefined>, timeoutMs = 120_000): Promise<CliResult> {
  const started = Date.now();
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
  for (const [key, value] of Object.entries(env)) if (value === undefined) delete childEnv[key];
  return new Promise((done) => {
    execFile(process.execPath, [cliPath, ...args], { env: childEnv, timeout: timeoutMs }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      done({ code, stdout, stderr, ms: Date.now() - started });
    });
  });
}

/** Lines meant for the user (not the JSON log lines). */
function userLines(stderr: string): string[] {
  return stderr.split('\n').filter((line) => line.startsWith('stampede'));
}

describe('a secured embedded broker (SASL_SSL: SCRAM and PLAIN over TLS with a generated certificate)', () => {
  const dir = tempDir('stampede-secure-kafka-');
  const dataDir = join(dir, 'kafka');
  const withPassword = { STAMPEDE_KAFKA_PASSWORD: PASSWORD };
  let bootstrap = '';
  let ca = '';

  before(async () => {
    // A free pair may be taken by another process of the suite before the broker binds it: try another.
    let port = 0;
    let started = { code: 1 as number | null, stdout: '', stderr: '' };
    for (let attempt = 0; attempt < 3 && started.code !== 0; attempt++) {
      port = await freePortPair();
      started = await stampede(['kafka', 'start', '--port', String(port), '--sasl-user', USER, '--tls', '--data-dir', dataDir], withPassword);
      if (!/already in use/.test(started.stderr)) break;
    }
    assert.equal(started.code, 0, started.stderr);
    bootstrap = `127.0.0.1:${port}`;
    ca = join(dataDir, 'tls', 'broker-cert.pem');
    assert.match(started.stdout, new RegExp(`TLS: clients trust ${ca.replaceAll('.', '\\.')}`));
  });

  after(async () => {
    await stopAllChildren();
    await stampede(['kafka', 'stop', '--data-dir', dataDir], {});
    rmSync(dir, { recursive: true, force: true });
  });

  const driverArgs = (extra: string[]) => ['driver', '--kafka', bootstrap, '--orchestrator', '127.0.0.1:7070', '--store', join(dir, `driver-${Math.random()}.db`), ...extra];

  it('refuses a node that has no password with a clear error (exit 2), before touching Kafka', async () => {
    const result = await stampede(driverArgs(['--kafka-tls', '--kafka-ca', ca, '--kafka-sasl', 'scram-sha-512', '--kafka-user', USER]), { STAMPEDE_KAFKA_PASSWORD: undefined });
    assert.equal(result.code, 2);
    assert.deepEqual(userLines(result.stderr), ['stampede: --kafka-sasl scram-sha-512 needs the password in STAMPEDE_KAFKA_PASSWORD (it is never a flag)']);
  });

  it('stops a node with a wrong password within seconds: one line naming the broker and the reason, exit 1, password never shown', async () => {
    const wrong = 'not-the-password';
    const result = await stampede(driverArgs(['--kafka-ca', ca, '--kafka-sasl', 'scram-sha-256', '--kafka-user', USER]), { STAMPEDE_KAFKA_PASSWORD: wrong }, 30_000);
    assert.equal(result.code, 1, result.stderr);
    assert.ok(result.ms < 15_000, `took ${result.ms} ms`);
    const lines = userLines(result.stderr);
    assert.equal(lines.length, 1, result.stderr);
    assert.match(lines[0]!, new RegExp(`^stampede driver: Kafka broker ${bootstrap.replaceAll('.', '\\.')} refused \\S+: authentication failed`));
    assert.ok(!result.stderr.includes(wrong), 'the password must never be printed');
  });

  it('stops a node that does not trust the broker certificate: TLS failed, exit 1', async () => {
    const result = await stampede(driverArgs(['--kafka-tls', '--kafka-sasl', 'plain', '--kafka-user', USER]), withPassword, 30_000);
    assert.equal(result.code, 1, result.stderr);
    const lines = userLines(result.stderr);
    assert.equal(lines.length, 1, result.stderr);
    assert.match(lines[0]!, /refused \S+: TLS failed: self-signed certificate/);
  });

  it('the orchestrator too: a wrong password ends it with one line and exit 1', async () => {
    const result = await stampede(['orchestrator', '--kafka', bootstrap, '--kafka-ca', ca, '--kafka-sasl', 'scram-sha-512', '--kafka-user', USER, '--orchestrator', `127.0.0.1:${await freePort()}`, '--store', join(dir, 'refused.db')], { STAMPEDE_KAFKA_PASSWORD: 'nope-nope' }, 30_000);
    assert.equal(result.code, 1, result.stderr);
    assert.match(userLines(result.stderr).join('\n'), /^stampede: Kafka broker \S+ refused orchestrator: authentication failed/);
  });

  it('with the password, a test runs: orchestrator (SCRAM-SHA-512) and drivers (SCRAM-SHA-256, PLAIN), exact at the target', { timeout: 180_000 }, async () => {
    const security = ['--kafka-ca', ca];
    const target = startCli(['target', '--port', '0']);
    const targetUrl = (await target.waitForLine(/target listening on (http:\/\/\S+)/))[1]!;
    const port = await freePort();
    const orchestrator = startCli(['orchestrator', '--kafka', bootstrap, ...security, '--kafka-sasl', 'scram-sha-512', '--kafka-user', USER, '--orchestrator', `127.0.0.1:${port}`, '--store', join(dir, 'orchestrator.db')], withPassword);
    await orchestrator.waitForLine(/orchestrator listening on/, 60_000);
    const ids = ['secure-driver-scram', 'secure-driver-plain'];
    const drivers = [startCli(driverArgs([...security, '--kafka-sasl', 'scram-sha-256', '--kafka-user', USER, '--id', ids[0]!]), withPassword), startCli(driverArgs([...security, '--kafka-sasl', 'plain', '--kafka-user', USER, '--id', ids[1]!]), withPassword)];
    await Promise.all(drivers.map((driver) => driver.waitForLine(/registered/, 60_000)));
    const api = `http://127.0.0.1:${port}`;
    await eventually(() => getJson<{ node_id: string; status: string }[]>(`${api}/api/drivers`), (list) => ids.every((id) => list.some((d) => d.node_id === id && d.status === 'alive')), 30_000, 'both drivers alive');

    const run = startCli(['run', '--orchestrator', `127.0.0.1:${port}`, '--target', `${targetUrl}/ping`, '--type', 'tsunami', '--count', '200', '--delay-ms', '5', '--drivers', ids.join(','), '--json']);
    assert.equal(await run.exited, 0, run.stderr());
    const report = JSON.parse(run.stdout()) as { state: string; aggregate: { completed: number } };
    assert.equal(report.state, 'completed');
    assert.equal(report.aggregate.completed, 400);
    const counts = await getJson<{ responses_sent: number }>(`${targetUrl}/metrics?format=json`);
    assert.equal(counts.responses_sent, 400);
    for (const child of [orchestrator, ...drivers]) assert.ok(!child.stderr().includes(PASSWORD), 'the password must never be logged');
  });
});
