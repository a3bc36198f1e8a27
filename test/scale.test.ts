import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startDriverProcess, type DriverProcess } from './helpers/driverProcess.js';
import { testBrokers } from './helpers/kafka.js';
import { getJson, startCli, startOrchestratorProcess, startTarget, stopAllChildren, tempDir } from './helpers/processes.js';

/**
 * Real driver processes: 20 in the suite (what a shared 2-core machine holds next to everything else;
 * see docs/deployment.md for the measurements), STAMPEDE_SCALE_DRIVERS=100 for the full run.
 */
const DRIVERS = Number(process.env.STAMPEDE_SCALE_DRIVERS ?? 20);
const PER_DRIVER = 100;
const DELAY_MS = 20;
const LOST_WITHIN_MS = 4_000;
const START_BATCH = 10;

type Driver = { node_id: string; status: string };

describe(`${DRIVERS} real driver processes`, () => {
  const drivers: DriverProcess[] = [];
  after(async () => {
    await Promise.all(drivers.map((driver) => driver.kill()));
    await stopAllChildren();
  });

  it('run one TSUNAMI test with exact counts and no driver ever marked lost; one SIGKILLed is found lost within 4 s', { timeout: 600_000 }, async () => {
    const dir = tempDir('stampede-scale-');
    const target = await startTarget();
    const orchestrator = await startOrchestratorProcess(join(dir, 'orchestrator.db'));
    const orchestratorAddress = orchestrator.url.replace(/^http:\/\//, '');
    const ids = Array.from({ length: DRIVERS }, (_, i) => `scale-${process.pid}-${i}`);
    // In batches: a hundred Node processes and consumer groups starting at once starve two cores for minutes.
    for (let first = 0; first < DRIVERS; first += START_BATCH) {
      const started = await Promise.allSettled(
        ids.slice(first, first + START_BATCH).map((id) => startDriverProcess(['--kafka', testBrokers().join(','), '--orchestrator', orchestratorAddress, '--id', id, '--store', join(dir, `${id}.db`)], 120_000)),
      );
      for (const outcome of started) if (outcome.status === 'fulfilled') drivers.push(outcome.value);
      const failed = started.find((outcome) => outcome.status === 'rejected');
      if (failed) throw (failed as PromiseRejectedResult).reason;
    }

    const ours = async () => (await getJson<Driver[]>(`${orchestrator.url}/api/drivers`)).filter((d) => ids.includes(d.node_id));
    const aliveDeadline = Date.now() + 60_000;
    while ((await ours()).filter((d) => d.status === 'alive').length < DRIVERS && Date.now() < aliveDeadline) await sleep(500);
    assert.equal((await ours()).filter((d) => d.status === 'alive').length, DRIVERS, 'every driver alive before the test');

    const answeredBefore = (await getJson<{ responses_sent: number }>(`${target.url}/metrics?format=json`)).responses_sent;
    const run = startCli(['run', '--orchestrator', orchestratorAddress, '--target', `${target.url}/ping`, '--type', 'tsunami', '--count', String(PER_DRIVER), '--delay-ms', String(DELAY_MS), '--drivers', ids.join(','), '--json']);
    const warnings = () => orchestrator.child.stderr().split('\n').filter((line) => /"level":[4-6]0/.test(line)).slice(0, 30).join('\n');
    assert.equal(await run.exited, 0, `${run.stdout().slice(-2000)}\n${run.stderr().slice(-2000)}\norchestrator warnings:\n${warnings()}`);
    const report = JSON.parse(run.stdout()) as { state: string; aggregate: { sent: number; completed: number }; drivers: { node_id: string; completed: number }[] };
    assert.equal(report.state, 'completed');
    assert.equal(report.aggregate.completed, DRIVERS * PER_DRIVER);
    assert.ok(report.drivers.every((d) => d.completed === PER_DRIVER), 'every driver completed its share');
    const answered = (await getJson<{ responses_sent: number }>(`${target.url}/metrics?format=json`)).responses_sent - answeredBefore;
    assert.equal(answered, DRIVERS * PER_DRIVER, 'the target answered exactly the aggregate');

    assert.doesNotMatch(orchestrator.child.stderr(), /"msg":"driver lost"/, `no driver was ever marked lost:\n${warnings()}`);
    assert.ok((await ours()).every((d) => d.status === 'alive'));

    const victim = drivers[Math.floor(DRIVERS / 2)]!;
    const victimId = ids[Math.floor(DRIVERS / 2)]!;
    const killedAt = Date.now();
    victim.child.kill('SIGKILL');
    let lostAfterMs: number | undefined;
    while (Date.now() - killedAt < 15_000) {
      const status = (await ours()).find((d) => d.node_id === victimId)?.status;
      if (status === 'lost') {
        lostAfterMs = Date.now() - killedAt;
        break;
      }
      await sleep(100);
    }
    assert.ok(lostAfterMs !== undefined && lostAfterMs <= LOST_WITHIN_MS, `the killed driver was found lost after ${lostAfterMs ?? '>15000'} ms`);
    const others = (await ours()).filter((d) => d.node_id !== victimId);
    assert.ok(others.every((d) => d.status === 'alive'), 'only the killed driver is lost');
  });
});
