import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { TestDetailView, TestReportView } from '../../src/api/index.js';
import { eventually, getJson, postJson, startFleet, stopAllChildren } from '../helpers/processes.js';

/**
 * Figures over time by when requests were due to start: in every whole second of a staged test the
 * requests started are the ones the plan put there (issue 27 saw the started line trail the planned one by
 * about 1.2 s, binned by when reports arrived), and each second's p99 is its own requests'.
 */
describe('the overall timeline binned by intended start (2 drivers, one with load workers)', () => {
  let orchestratorUrl: string;
  let targetUrl: string;
  let driverIds: string[];

  before(async () => {
    ({ targetUrl, orchestratorUrl, driverIds } = await startFleet([[], ['--workers', '2']]));
  });
  after(() => stopAllChildren());

  it('a staged test (0 → 300 req/s per driver over 3 s, hold 4 s, down over 2 s): started = planned within 1 % in every second', async () => {
    const created = await postJson<TestDetailView>(`${orchestratorUrl}/api/tests`, {
      test_type: 'TSUNAMI',
      stages: [
        { duration_s: 3, target_rps: 300 },
        { duration_s: 4, target_rps: 300 },
        { duration_s: 2, target_rps: 0 },
      ],
      target_url: `${targetUrl}/ping`,
      drivers: driverIds,
      trigger: true,
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const testUrl = `${orchestratorUrl}/api/tests/${created.body.test_id}`;
    const done = await eventually(() => getJson<TestDetailView>(testUrl), (t) => t.state !== 'running', 30_000, 'the staged test to end');
    assert.equal(done.state, 'completed', done.reason ?? '');
    const report = await getJson<TestReportView>(`${testUrl}/report`);
    const seconds = report.overall_timeline.filter((p) => p.planned_rps !== null);
    const shown = JSON.stringify(report.overall_timeline.map((p) => [p.elapsed_ms, p.sent_rps, p.planned_rps]));
    assert.equal(seconds.length, 9, `nine planned seconds: ${shown}`);
    assert.deepEqual(seconds.slice(0, 4).map((p) => p.planned_rps), [100, 300, 500, 600], 'the issue’s planned line');
    for (const point of seconds) assert.ok(Math.abs(point.sent_rps! - point.planned_rps!) <= point.planned_rps! * 0.01, `second ending ${point.elapsed_ms} ms: started ${point.sent_rps}, planned ${point.planned_rps}; [elapsed, started, planned]: ${shown}`);
    assert.equal(seconds.reduce((sum, p) => sum + p.interval_sent, 0), done.aggregate.sent, 'every request is in its second');
    assert.ok(seconds.every((p) => p.p99 !== null && p.p99 < 1_000), 'each second has its own p99');
  });
});
