import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FINISHED_TEST_SERIES_MS, FinishedTestSeries } from '../../../src/metrics/finishedTestSeries.js';
import { OrchestratorMetrics } from '../../../src/orchestrator/prometheus.js';
import type { RuntimeController } from '../../../src/orchestrator/runtimeController.js';
import { FiguresCalculator } from '../../../src/orchestrator/testFigures.js';
import { applyTestEvent, createProjection, isFinished, type TestProjection } from '../../../src/orchestrator/testProjection.js';
import type { TestConfigMessage } from '../../../src/protocol/index.js';

const START = Date.parse('2026-12-03T12:00:00.000Z');
const at = (offsetMs: number) => new Date(START + offsetMs).toISOString();

function test(testId: string, events: ('triggered' | 'finished')[]): TestProjection {
  const config: TestConfigMessage = { test_id: testId, test_type: 'AVALANCHE', test_message_delay: 0, message_count_per_driver: 10 };
  const projection = createProjection({ type: 'test_created', at: at(0), driver_ids: ['a'], config });
  if (events.includes('triggered')) applyTestEvent(projection, { type: 'test_triggered', at: at(0) });
  if (events.includes('finished')) applyTestEvent(projection, { type: 'test_finished', at: at(1_000), state: 'completed' });
  return projection;
}

/** The test_ids with a series of `metric` in the orchestrator's /metrics text at `nowMs`. */
async function testIdsOn(tests: TestProjection[], nowMs: number, metric: string): Promise<string[]> {
  const find = (id: string) => tests.find((t) => t.test_id === id);
  const log = { list: () => tests, unfinished: () => tests.filter((t) => !isFinished(t)), get: find, peek: find };
  const controller = { drivers: { list: () => [] }, tests: log, counters: { reports_received: 0, reports_duplicate: 0 } } as unknown as RuntimeController;
  const text = await new OrchestratorMetrics({ controller, figures: new FiguresCalculator(), rejectedMessages: () => ({}), now: () => nowMs }).text();
  const pattern = new RegExp(`^${metric}\\{[^}]*test_id="([^"]+)"`, 'gm');
  return [...new Set([...text.matchAll(pattern)].map((m) => m[1]!))].sort();
}

describe("a finished test's series on /metrics", () => {
  it("a driver's stay for 10 minutes after the test finished, then go (and their figures with them)", () => {
    let nowMs = START;
    const finished = new FinishedTestSeries<string>(() => nowMs);
    finished.add('t1');
    nowMs += 60_000;
    finished.add('t2');
    nowMs = START + FINISHED_TEST_SERIES_MS - 1;
    assert.deepEqual(finished.shown(), ['t1', 't2']);
    nowMs = START + FINISHED_TEST_SERIES_MS;
    assert.deepEqual(finished.shown(), ['t2']);
    nowMs = START + 60_000 + FINISHED_TEST_SERIES_MS;
    assert.deepEqual(finished.shown(), []);
  });

  it("the orchestrator's: a running test's always, a finished one's for 10 minutes, a test not yet triggered has none", async () => {
    const tests = [test('created', []), test('running', ['triggered']), test('finished', ['triggered', 'finished'])];
    const finishedAt = START + 1_000;
    for (const metric of ['stampede_requests_sent_total', 'stampede_requests_completed_total', 'stampede_request_duration_seconds_count']) {
      assert.deepEqual(await testIdsOn(tests, finishedAt + FINISHED_TEST_SERIES_MS - 1, metric), ['finished', 'running'], metric);
      assert.deepEqual(await testIdsOn(tests, finishedAt + FINISHED_TEST_SERIES_MS, metric), ['running'], metric);
    }
  });
});
