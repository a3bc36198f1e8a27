import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Admin } from '@platformatic/kafka';
import { eventually, freePort, getJson, startCli, stopAllChildren, tempDir } from './helpers/processes.js';

type CliResult = { code: number; stdout: string; stderr: string };

function stampedeKafka(args: string[]): Promise<CliResult> {
  return new Promise((done) => {
    execFile(process.execPath, ['bin/stampede.js', 'kafka', ...args], { timeout: 180_000 }, (error, stdout, stderr) => {
      done({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

function isFree(port: number): Promise<boolean> {
  const server = createServer();
  return new Promise((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * Three brokers take three consecutive port pairs: picked below the kernel's ephemeral range
 * (32768+), where outgoing connections of everything else on the machine could take one meanwhile.
 */
async function freePortRun(length: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const first = 21_000 + Math.floor(Math.random() * 11_000);
    const ports = Array.from({ length }, (_, i) => first + i);
    if ((await Promise.all(ports.map(isFree))).every(Boolean)) return first;
  }
  throw new Error(`no ${length} consecutive free ports found`);
}

async function topicReplicas(bootstrap: string[], topic: string): Promise<{ brokers: number; replicas: number; isr: number; leader: number }> {
  const admin = new Admin({ clientId: 'cluster-test', bootstrapBrokers: bootstrap, retries: 2 });
  try {
    const metadata = await admin.metadata({ topics: [topic] });
    const partition = metadata.topics.get(topic)!.partitions[0]!;
    return { brokers: metadata.brokers.size, replicas: partition.replicas.length, isr: partition.isr.length, leader: partition.leader };
  } finally {
    await admin.close();
  }
}

describe('a local three-broker cluster (kafka start --brokers 3)', () => {
  const dir = tempDir('stampede-cluster-');
  const dataDir = join(dir, 'kafka');
  after(async () => {
    await stopAllChildren();
    await stampedeKafka(['stop', '--data-dir', dataDir]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('replicates 3 times; a broker SIGKILLed mid-test leaves every count exact; restarted, it rejoins', { timeout: 480_000 }, async () => {
    const port = await freePortRun(6);
    const started = await stampedeKafka(['start', '--port', String(port), '--brokers', '3', '--data-dir', dataDir]);
    assert.equal(started.code, 0, started.stderr);
    const bootstrap = [0, 2, 4].map((offset) => `127.0.0.1:${port + offset}`);
    const status = await stampedeKafka(['status', '--data-dir', dataDir]);
    assert.equal(status.code, 0, status.stdout);
    const pids = [...status.stdout.matchAll(/broker (\d) 127\.0\.0\.1:(\d+) .*running \(pid (\d+)\)/g)].map((m) => ({ nodeId: Number(m[1]), port: Number(m[2]), pid: Number(m[3]) }));
    assert.deepEqual(pids.map((b) => [b.nodeId, b.port]), [[1, port], [2, port + 2], [3, port + 4]]);

    const target = startCli(['target', '--port', '0']);
    const targetUrl = (await target.waitForLine(/target listening on (http:\/\/\S+)/))[1]!;
    const orchestratorPort = await freePort();
    const orchestrator = startCli(['orchestrator', '--kafka', bootstrap.join(','), '--orchestrator', `127.0.0.1:${orchestratorPort}`, '--store', join(dir, 'orchestrator.db')]);
    await orchestrator.waitForLine(/orchestrator listening on/, 90_000);
    const metrics = await topicReplicas(bootstrap, 'metrics');
    assert.deepEqual({ ...metrics, leader: undefined }, { brokers: 3, replicas: 3, isr: 3, leader: undefined });

    const ids = ['cluster-driver-1', 'cluster-driver-2'];
    const drivers = ids.map((id) => startCli(['driver', '--kafka', bootstrap.join(','), '--orchestrator', `127.0.0.1:${orchestratorPort}`, '--id', id, '--store', join(dir, `${id}.db`)]));
    await Promise.all(drivers.map((driver) => driver.waitForLine(/registered/, 90_000)));
    const api = `http://127.0.0.1:${orchestratorPort}`;
    await eventually(() => getJson<{ node_id: string; status: string }[]>(`${api}/api/drivers`), (list) => ids.every((id) => list.some((d) => d.node_id === id && d.status === 'alive')), 30_000, 'both drivers alive');

    const heartbeatLeader = (await topicReplicas(bootstrap, 'heartbeat')).leader;
    const perDriver = 1_000;
    const run = startCli(['run', '--orchestrator', `127.0.0.1:${orchestratorPort}`, '--target', `${targetUrl}/ping`, '--type', 'tsunami', '--count', String(perDriver), '--delay-ms', '8', '--drivers', ids.join(','), '--json']);
    // The test runs 8 s; the kill comes about 3 s in, without a word, to the broker leading the
    // heartbeat partition: the hardest case, since until its partitions have new leaders (the cluster
    // fences it after 1.5 s) no driver can be heard, and the orchestrator must not call that N failures.
    const victim = pids.find((broker) => broker.nodeId === heartbeatLeader)!;
    await sleep(3_000);
    process.kill(victim.pid, 'SIGKILL');
    const logs = () => [orchestrator, ...drivers].map((child) => child.stderr().split('\n').filter((line) => /"level":[4-6]0/.test(line)).slice(0, 10).join('\n')).join('\n');
    assert.equal(await run.exited, 0, `${run.stderr().slice(-2000)}\nwarnings:\n${logs()}`);
    const report = JSON.parse(run.stdout()) as { state: string; aggregate: { completed: number }; drivers: { node_id: string; completed: number }[] };
    assert.equal(report.state, 'completed');
    assert.deepEqual(report.drivers.map((d) => d.completed), [perDriver, perDriver]);
    const answered = await getJson<{ responses_sent: number }>(`${targetUrl}/metrics?format=json`);
    assert.equal(answered.responses_sent, 2 * perDriver, 'the target answered exactly the aggregate: no report lost, none counted twice');
    assert.equal(report.aggregate.completed, 2 * perDriver);

    const down = await stampedeKafka(['status', '--data-dir', dataDir]);
    assert.equal(down.code, 3);
    assert.match(down.stdout, /2 of 3 brokers/);
    const restarted = await stampedeKafka(['start', '--port', String(port), '--brokers', '3', '--data-dir', dataDir]);
    assert.equal(restarted.code, 0, restarted.stderr);
    assert.equal((await stampedeKafka(['status', '--data-dir', dataDir])).code, 0);
    await eventually(() => topicReplicas(bootstrap, 'heartbeat'), (t) => t.brokers === 3 && t.isr === 3, 60_000, `broker ${victim.nodeId} back in sync`);
  });
});
