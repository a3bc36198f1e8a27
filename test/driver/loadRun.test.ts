import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { oneGet } from '../helpers/oneGet.js';
import { loadPlanFor } from '../../src/driver/load/index.js';
import { LoadRun } from '../../src/driver/loadRun.js';
import { Recorder, type RecorderCounts } from '../../src/driver/recorder.js';
import { startTargetServer, type TargetServer } from '../../src/target/targetServer.js';
import { freePort } from '../helpers/recordingServer.js';

async function avalancheAgainst(url: string, count: number, timeoutMs = 5_000): Promise<RecorderCounts> {
  const { client, requests } = oneGet(url, { connections: 4, timeoutMs });
  const recorder = new Recorder();
  await new LoadRun(loadPlanFor({ test_id: 't', test_type: 'AVALANCHE', test_message_delay: 0, message_count_per_driver: count }, 4), { client, requests, recorder }).finished;
  await client.destroy();
  return recorder.counts();
}

describe('a load run ends with every request answered or counted as an error', () => {
  let target: TargetServer;
  before(async () => {
    target = await startTargetServer({ host: '127.0.0.1', port: 0 });
  });
  after(() => target.close());

  it('counts 500 answers as http_500', async () => {
    const counts = await avalancheAgainst(`${target.url}/ping?error_rate=1`, 20);
    assert.deepEqual(counts, { sent: 20, completed: 20, errors: { http_500: 20 }, in_flight: 0, late_starts: 0 });
  });

  it('counts a refused port as connection_refused', async () => {
    const counts = await avalancheAgainst(`http://127.0.0.1:${await freePort()}/ping`, 12);
    assert.deepEqual(counts.errors, { connection_refused: 12 });
    assert.equal(counts.completed, 12);
  });

  it('counts answers slower than timeout_ms as timeout', async () => {
    const counts = await avalancheAgainst(`${target.url}/ping?delay_ms=1000`, 8, 100);
    assert.deepEqual(counts.errors, { timeout: 8 });
    assert.equal(counts.completed, 8);
  });

  it('counts dropped connections as connection_reset', async () => {
    const counts = await avalancheAgainst(`${target.url}/ping?drop_rate=1`, 10);
    assert.deepEqual(counts.errors, { connection_reset: 10 });
    assert.equal(counts.completed, 10);
  });

  it('mixes successes and errors, recording latency for successes only', async () => {
    const { client, requests } = oneGet(`${target.url}/ping?error_rate=0.5`, { connections: 4, timeoutMs: 5_000 });
    const recorder = new Recorder();
    await new LoadRun(loadPlanFor({ test_id: 't', test_type: 'TSUNAMI', test_message_delay: 1, message_count_per_driver: 60 }, 4), { client, requests, recorder }).finished;
    await client.close();
    const counts = recorder.counts();
    assert.equal(counts.completed, 60);
    const errors = counts.errors.http_500 ?? 0;
    assert.ok(errors > 5 && errors < 55, `${errors} errors at a 50% error rate`);
    assert.equal(recorder.latency.totalCount, 60 - errors);
    assert.equal(recorder.service.totalCount, 60 - errors);
  });
});
