import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { TestDetailView } from '../../src/api/index.js';
import { startRecordingServer, type RecordingServer } from '../helpers/recordingServer.js';
import { eventually, getJson, postJson, startDriverProcess, startOrchestratorProcess, stopAllChildren } from '../helpers/processes.js';

const DRIVERS = 8;
const RUNS = 3;
/** What the issue asks of one host: every driver's first request within this of the others'. */
const START_SPREAD_MS = 20;

/**
 * One start instant: the trigger carries start_at, and each driver starts its schedule then, on its own clock,
 * whatever its load workers and connections took to get ready. Measured where it matters, at the target.
 */
describe('drivers start together: the trigger’s start_at (8 driver processes, default flags)', () => {
  let orchestratorUrl: string;
  let driverIds: string[];
  let server: RecordingServer;

  before(async () => {
    server = await startRecordingServer(0);
    ({ url: orchestratorUrl } = await startOrchestratorProcess());
    driverIds = (await Promise.all(Array.from({ length: DRIVERS }, () => startDriverProcess(orchestratorUrl)))).map((d) => d.nodeId);
  });
  after(async () => {
    await stopAllChildren();
    await server.close();
  });

  /** Each driver's first arrival at the target, by the driver id its requests carry. */
  function firstArrivals(testId: string): Map<string, number> {
    const first = new Map<string, number>();
    server.paths.forEach((path, i) => {
      const query = new URL(path, 'http://x').searchParams;
      const driver = query.get('driver');
      if (query.get('test') === testId && driver && !first.has(driver)) first.set(driver, server.arrivals[i]!);
    });
    return first;
  }

  it(`starts every driver's first request within ${START_SPREAD_MS} ms of the others', ${RUNS} runs in a row`, async () => {
    const spreads: number[] = [];
    const skews: (number | null)[] = [];
    const primings: string[] = [];
    for (let run = 0; run < RUNS; run++) {
      const created = await postJson<TestDetailView>(`${orchestratorUrl}/api/tests`, {
        test_type: 'TSUNAMI',
        test_message_delay: 50,
        message_count_per_driver: 3,
        requests: [{ name: 'first', method: 'GET', url: `${server.url}?driver={{driver_id}}&test={{test_id}}` }],
        drivers: driverIds,
        trigger: true,
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const done = await eventually(() => getJson<TestDetailView>(`${orchestratorUrl}/api/tests/${created.body.test_id}`), (t) => t.state !== 'running' && t.state !== 'created', 30_000, 'the test to end');
      assert.equal(done.state, 'completed', done.reason ?? '');
      const first = [...firstArrivals(done.test_id).values()];
      assert.equal(first.length, DRIVERS, 'every driver reached the target');
      spreads.push(Math.max(...first) - Math.min(...first));
      skews.push(done.start_skew_ms);
      primings.push(done.drivers.map((d) => d.priming_ms).join('/'));
      assert.ok(done.drivers.every((d) => d.started_at !== null && d.priming_ms !== null), 'each driver says when it started and how long it took to be ready');
    }
    assert.ok(spreads.every((spread) => spread <= START_SPREAD_MS), `first requests apart by ${spreads.map((s) => s.toFixed(1)).join(', ')} ms (start skew as reported: ${skews.join(', ')} ms; priming per driver: ${primings.join('; ')} ms)`);
  });
});
