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

/** Each broker `kafka status` lists as running: its node id, port and pid. */
function brokersOf(statusOutput: string): { nodeId: number; port: number; pid: number }[] {
  return [...statusOutput.matchAll(/broker (\d) 127\.0\.0\.1:(\d+) .*running \(pid (\d+)\)/g)].map((m) => ({ nodeId: Number(m[1]), port: Number(m[2]), pid: Number(m[3]) }));
}

/** Issue 27: ten kills of a broker, leader or follower, fail no test. */
const KILLS = 10;

describe('a local three-broker cluster (kafka start --brokers 3)', () => {
  const dir = tempDir('stampede-cluster-');
  const dataDir = join(dir, 'kafka');
  after(async () => {
    await stopAllChildren();
    await stampedeKafka(['stop', '--data-dir', dataDir]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('replicates 3 times; ten broker kills mid-test (leader or follower, at random) fail no test and leave every count exact; a SIGKILLed driver is still lost within 4 s', { timeout: 600_000 }, async () => {
    const port = await freePortRun(6);
    const started = await stampedeKafka(['start', '--port', String(port), '--brokers', '3', '--data-dir', dataDir]);
    assert.equal(started.code, 0, started.stderr);
    const bootstrap = [0, 2, 4].map((offset) => `127.0.0.1:${port + offset}`);
    const status = await stampedeKafka(['status', '--data-dir', dataDir]);
    assert.equal(status.code, 0, status.stdout);
    const pids = brokersOf(status.stdout);
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
    const logs = () => [orchestrator, ...drivers].map((child) => child.stderr().split('\n').filter((line) => /"level":[4-6]0/.test(line)).slice(0, 10).join('\n')).join('\n');
    // Tests back to back (each about 8 s) while the kills go on: every one must complete, exactly.
    let killing = true;
    const outcomes: { code: number | null; stdout: string; stderr: string }[] = [];
    const tests = (async () => {
      while (killing) {
        const run = startCli(['run', '--orchestrator', `127.0.0.1:${orchestratorPort}`, '--target', `${targetUrl}/ping`, '--type', 'tsunami', '--count', String(perDriver), '--delay-ms', '8', '--drivers', ids.join(','), '--json']);
        outcomes.push({ code: await run.exited, stdout: run.stdout(), stderr: run.stderr() });
      }
    })();

    // The first kill comes 3 s into the first test, without a word, to the broker leading the heartbeat
    // partition: the hardest case, since until its partitions have new leaders (the cluster fences it
    // after 1.5 s) no driver can be heard, and the orchestrator must not call that N failures. The other
    // nine pick a broker at random, leader or follower of whatever partitions it holds.
    const kills: string[] = [];
    let victim = pids.find((broker) => broker.nodeId === heartbeatLeader)!;
    await sleep(3_000);
    for (let kill = 1; kill <= KILLS; kill++) {
      const leader = (await topicReplicas(bootstrap, 'heartbeat')).leader;
      kills.push(`broker ${victim.nodeId}${victim.nodeId === leader ? ' (heartbeat leader)' : ''}`);
      process.kill(victim.pid, 'SIGKILL');
      await sleep(2_000);
      const down = await stampedeKafka(['status', '--data-dir', dataDir]);
      assert.equal(down.code, 3);
      assert.match(down.stdout, /2 of 3 brokers/);
      const restarted = await stampedeKafka(['start', '--port', String(port), '--brokers', '3', '--data-dir', dataDir]);
      assert.equal(restarted.code, 0, restarted.stderr);
      const running = await stampedeKafka(['status', '--data-dir', dataDir]);
      assert.equal(running.code, 0, running.stdout);
      await eventually(() => Promise.all(['heartbeat', 'metrics'].map((topic) => topicReplicas(bootstrap, topic))), (topics) => topics.every((t) => t.brokers === 3 && t.isr === 3), 60_000, `broker ${victim.nodeId} back in sync`);
      const brokers = brokersOf(running.stdout);
      victim = brokers[Math.floor(Math.random() * brokers.length)]!;
    }
    killing = false;
    await tests;

    const failed = outcomes.filter((outcome) => outcome.code !== 0);
    assert.deepEqual(failed.map((outcome) => outcome.stderr.slice(-1000)), [], `kills: ${kills.join(', ')}\nwarnings:\n${logs()}`);
    for (const outcome of outcomes) {
      const report = JSON.parse(outcome.stdout) as { state: string; aggregate: { completed: number }; drivers: { node_id: string; completed: number }[] };
      assert.equal(report.state, 'completed');
      assert.deepEqual(report.drivers.map((d) => d.completed), [perDriver, perDriver]);
      assert.equal(report.aggregate.completed, 2 * perDriver);
    }
    const answered = await getJson<{ responses_sent: number }>(`${targetUrl}/metrics?format=json`);
    assert.equal(answered.responses_sent, outcomes.length * 2 * perDriver, 'the target answered exactly the aggregates: no report lost, none counted twice');
    assert.ok(outcomes.length >= 5, `${outcomes.length} tests ran through ${KILLS} kills`);

    // The cluster healed, a driver that is really gone is still found quickly.
    drivers[1]!.process.kill('SIGKILL');
    const killedAt = Date.now();
    await eventually(() => getJson<{ node_id: string; status: string }[]>(`${api}/api/drivers`), (list) => list.some((d) => d.node_id === ids[1] && d.status === 'lost'), 10_000, `${ids[1]} lost`);
    assert.ok(Date.now() - killedAt <= 4_000, `a SIGKILLed driver found lost after ${Date.now() - killedAt} ms`);
  });
});
