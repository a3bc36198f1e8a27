import type { TestDetailView } from '../../src/api/index.js';
import type { RecordingServer } from './recordingServer.js';
import { eventually, getJson, postJson } from './processes.js';

/**
 * A TSUNAMI of 3 requests on each driver, each request naming its driver and test, run to its end; then the
 * arrival of each driver's first request at the recording target: how far apart the drivers started.
 */
export async function firstArrivalsOfTest(orchestratorUrl: string, driverIds: readonly string[], server: RecordingServer): Promise<{ test: TestDetailView; firstArrivals: number[] }> {
  const created = await postJson<TestDetailView>(`${orchestratorUrl}/api/tests`, {
    test_type: 'TSUNAMI',
    test_message_delay: 50,
    message_count_per_driver: 3,
    requests: [{ name: 'first', method: 'GET', url: `${server.url}?driver={{driver_id}}&test={{test_id}}` }],
    drivers: driverIds,
    trigger: true,
  });
  if (created.status !== 201) throw new Error(`creating the test answered ${created.status}: ${JSON.stringify(created.body)}`);
  const test = await eventually(() => getJson<TestDetailView>(`${orchestratorUrl}/api/tests/${created.body.test_id}`), (t) => t.state !== 'running' && t.state !== 'created', 30_000, 'the test to end');
  const first = new Map<string, number>();
  server.paths.forEach((path, i) => {
    const query = new URL(path, 'http://x').searchParams;
    const driver = query.get('driver');
    if (query.get('test') === test.test_id && driver && !first.has(driver)) first.set(driver, server.arrivals[i]!);
  });
  return { test, firstArrivals: [...first.values()] };
}
