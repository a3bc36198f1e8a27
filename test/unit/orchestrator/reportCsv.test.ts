import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { reportCsv, reportTimelineCsv } from '../../../src/orchestrator/testViews.js';
import { driverFigures, figures, testView } from '../../cli/fixtures.js';

/** Rows as objects by column name (no cell of these fixtures holds a comma). */
function parse(csv: string): Record<string, string>[] {
  const [header = '', ...lines] = csv.trimEnd().split('\n');
  const columns = header.split(',');
  return lines.map((line) => Object.fromEntries(line.split(',').map((cell, i) => [columns[i], cell])));
}

describe('report CSV', () => {
  const request = { name: 'list', method: 'GET', url: 'http://127.0.0.1:8080/items', sent: 100, completed: 100, errors: {}, error_count: 0, status_counts: { '200': 100 }, bytes_received: 900, rps: 50, latency: figures().latency };

  it('gives every row the test id, config and times, and a row per request name overall and per driver', () => {
    const view = testView({ aggregate: figures({ requests: [request] }), drivers: [driverFigures('driver-a', { requests: [request] })] });
    const rows = parse(reportCsv(view));
    assert.deepEqual(rows.map((r) => [r.scope, r.node_id, r.request]), [['driver', 'driver-a', ''], ['overall', '', ''], ['request', '', 'list'], ['driver_request', 'driver-a', 'list']]);
    for (const row of rows) {
      assert.deepEqual([row.test_id, row.state, row.test_type, row.created_at, row.triggered_at, row.finished_at], [view.test_id, 'completed', view.config.test_type, view.created_at, view.triggered_at, view.finished_at]);
      assert.equal(row.message_count_per_driver, String(view.config.message_count_per_driver));
    }
    assert.equal(rows[2]!.url, request.url);
    assert.equal(rows[2]!.p99_ms, String(request.latency.p99));
    assert.equal(rows[1]!.elapsed_ms, '2000');
    assert.equal(rows[1]!.bytes_received, '7200');
  });

  it('part=timeline: a row per point, driver then overall, with the points\' own fields as columns', () => {
    const csv = reportTimelineCsv({
      test_id: 'test-abc',
      timeline: { 'driver-a': [{ elapsed_ms: 500, sent: 10, completed: 9, errors: 0, median: 1.5, p99: 3 }] },
      overall_timeline: [{ elapsed_ms: 1000, rps: 18, p50: 1.4, planned_rps: 20 }],
    });
    assert.equal(csv.split('\n')[0], 'test_id,scope,node_id,elapsed_ms,sent,completed,errors,median,p99,rps,p50,planned_rps');
    assert.deepEqual(parse(csv), [
      { test_id: 'test-abc', scope: 'driver', node_id: 'driver-a', elapsed_ms: '500', sent: '10', completed: '9', errors: '0', median: '1.5', p99: '3', rps: '', p50: '', planned_rps: '' },
      { test_id: 'test-abc', scope: 'overall', node_id: '', elapsed_ms: '1000', sent: '', completed: '', errors: '', median: '', p99: '', rps: '18', p50: '1.4', planned_rps: '20' },
    ]);
  });
});
