import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { NamespaceHosts } from './helpers/namespaceHosts.js';
import { tempDir } from './helpers/processes.js';

type Driver = { node_id: string; node_ip: string | null; status: string };
type Figures = { sent: number; completed: number; error_count: number };
type Report = { state: string; aggregate: Figures; drivers: (Figures & { node_id: string })[] };

const BROKER_HOST = 0;
const DRIVER_HOSTS = [1, 2];
const TARGET_HOST = 3;
const KAFKA = `${NamespaceHosts.address(BROKER_HOST)}:9092`;
const TARGET = `${NamespaceHosts.address(TARGET_HOST)}:8080`;
const ORCHESTRATOR_PORT = 7070;
const STAMPEDE = [process.execPath, 'bin/stampede.js'];

const unavailable = await NamespaceHosts.unavailableReason();

describe('four hosts: broker + orchestrator, two drivers and the target in network namespaces of their own', { skip: unavailable }, () => {
  const dir = tempDir('stampede-four-hosts-');
  const kafkaDir = join(dir, 'kafka');
  let hosts: NamespaceHosts | undefined;

  after(async () => {
    if (hosts) {
      await hosts.exec(BROKER_HOST, [...STAMPEDE, 'kafka', 'stop', '--data-dir', kafkaDir]);
      await hosts.destroy();
    }
    rmSync(dir, { recursive: true, force: true });
  });

  /** GETs a URL from inside a host (never from the root namespace, where 10.231.x.y must not be used). */
  async function getJsonFrom<T>(host: number, url: string): Promise<T> {
    const result = await hosts!.exec(host, ['curl', '-sS', '--max-time', '5', '--fail', url]);
    if (result.code !== 0) throw new Error(`GET ${url} from ${hosts!.hosts[host]} failed: ${result.stderr}`);
    return JSON.parse(result.stdout) as T;
  }

  it('the broker advertises its own address, drivers register theirs as node_IP, and a TSUNAMI test over both is exact at the target', { timeout: 300_000 }, async () => {
    hosts = await NamespaceHosts.create(4);

    const kafka = await hosts.exec(BROKER_HOST, [...STAMPEDE, 'kafka', 'start', '--listen', KAFKA, '--advertise', KAFKA, '--data-dir', kafkaDir]);
    assert.equal(kafka.code, 0, kafka.stderr);
    assert.match(kafka.stdout, new RegExp(`running on ${KAFKA.replaceAll('.', '\\.')} `));

    await hosts.start(TARGET_HOST, [...STAMPEDE, 'target', '--host', NamespaceHosts.address(TARGET_HOST), '--port', '8080'], /target listening on/);
    const orchestratorAddress = `${NamespaceHosts.address(BROKER_HOST)}:${ORCHESTRATOR_PORT}`;
    await hosts.start(BROKER_HOST, [...STAMPEDE, 'orchestrator', '--kafka', KAFKA, '--orchestrator', orchestratorAddress, '--store', join(dir, 'orchestrator.db')], /orchestrator listening on/);
    const driverIds = await Promise.all(
      DRIVER_HOSTS.map(async (host) => {
        const id = `four-hosts-driver-${host}`;
        const args = ['driver', '--kafka', KAFKA, '--orchestrator', orchestratorAddress, '--listen', '0.0.0.0:0', '--id', id, '--store', join(dir, `${id}.db`)];
        await hosts!.start(host, [...STAMPEDE, ...args], /driver \S+ registered/);
        return id;
      }),
    );

    const api = `http://${orchestratorAddress}/api`;
    let drivers: Driver[] = [];
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      drivers = (await getJsonFrom<Driver[]>(BROKER_HOST, `${api}/drivers`)).filter((d) => driverIds.includes(d.node_id));
      if (drivers.length === 2 && drivers.every((d) => d.status === 'alive')) break;
      await sleep(500);
    }
    for (const [index, host] of DRIVER_HOSTS.entries()) {
      const driver = drivers.find((d) => d.node_id === driverIds[index]);
      assert.match(driver?.node_ip ?? '', new RegExp(`^${NamespaceHosts.address(host).replaceAll('.', '\\.')}:\\d+$`), JSON.stringify(drivers));
      // The published address is one another host can use: the broker's host reaches the driver's /health there.
      const health = await getJsonFrom<{ status: string; node_id: string }>(BROKER_HOST, `http://${driver!.node_ip}/health`);
      assert.deepEqual([health.status, health.node_id], ['ok', driverIds[index]]);
    }

    const perDriver = 300;
    const run = await hosts.exec(BROKER_HOST, [...STAMPEDE, 'run', '--orchestrator', orchestratorAddress, '--target', `http://${TARGET}/ping`, '--type', 'tsunami', '--count', String(perDriver), '--delay-ms', '10', '--drivers', driverIds.join(','), '--json']);
    assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
    const report = JSON.parse(run.stdout) as Report;
    assert.equal(report.state, 'completed');
    assert.deepEqual(report.drivers.map((d) => [d.node_id, d.completed, d.error_count]).sort(), driverIds.map((id) => [id, perDriver, 0]));
    assert.equal(report.aggregate.completed, 2 * perDriver);

    const target = await getJsonFrom<{ requests_received: number; responses_sent: number }>(TARGET_HOST, `http://${TARGET}/metrics?format=json`);
    assert.equal(target.requests_received, report.aggregate.completed);
    assert.equal(target.responses_sent, report.aggregate.completed);
  });
});

if (unavailable) console.log(`# four-hosts test skipped: ${unavailable}`);
