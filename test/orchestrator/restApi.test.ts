import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import type { KafkaBus } from '../../src/bus/index.js';
import { TOPICS } from '../../src/protocol/index.js';
import { connectTestBus } from '../helpers/kafka.js';
import { eventually, getJson, postJson, startCli, startOrchestratorProcess, stopAllChildren, stopChild } from '../helpers/processes.js';

type Driver = { node_id: string; node_ip: string | null; status: string };

describe('orchestrator REST API (orchestrator process, drivers simulated on Kafka)', () => {
  let url: string;
  let bus: KafkaBus;
  before(async () => {
    ({ url } = await startOrchestratorProcess());
    bus = await connectTestBus('rest-test');
  });
  after(async () => {
    await bus.close();
    await stopAllChildren();
  });

  const valid = { test_type: 'TSUNAMI', test_message_delay: 10, message_count_per_driver: 10, target_url: 'http://127.0.0.1:8080/ping' };

  it('answers a bad body with 400 naming the field', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ ...valid, test_type: 'FLOOD' }, 'test_type'],
      [{ ...valid, message_count_per_driver: 0 }, 'message_count_per_driver'],
      [{ ...valid, message_count_per_driver: 2.5 }, 'message_count_per_driver'],
      [{ ...valid, test_message_delay: -1 }, 'test_message_delay'],
      [{ ...valid, target_url: 'not a url' }, 'target_url'],
      [{ ...valid, target_url: 'ftp://127.0.0.1/x' }, 'target_url'],
      [{ ...valid, throughput_per_driver: 'fast' }, 'throughput_per_driver'],
      [{ ...valid, drivers: 0 }, 'drivers'],
      [{ ...valid, warmup_count_per_driver: -1 }, 'warmup_count_per_driver'],
      [{ ...valid, warmup_count_per_driver: 1.5 }, 'warmup_count_per_driver'],
      [{ ...valid, surprise: true }, 'surprise'],
      [{ test_type: 'TSUNAMI', target_url: valid.target_url }, 'message_count_per_driver'],
      [{ ...valid, test_type: 'AVALANCHE', test_message_delay: 5 }, 'test_message_delay'],
      [{ ...valid, max_duration_s: 5e-324 }, 'max_duration_s'],
      [{ ...valid, message_count_per_driver: 1e12 }, 'message_count_per_driver'],
      [{ ...valid, warmup_count_per_driver: '20' }, 'warmup_count_per_driver'],
      [{ ...valid, test_type: 'tsunami' }, 'test_type'],
    ];
    for (const [body, field] of cases) {
      const response = await postJson<{ field: string; message: string }>(`${url}/api/tests`, body);
      assert.equal(response.status, 400, JSON.stringify(body));
      assert.equal(response.body.field, field, JSON.stringify(response.body));
      assert.match(response.body.message, new RegExp(`^${field}: `));
    }
    const notJson = await request(`${url}/api/tests`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{oops' });
    assert.equal(notJson.statusCode, 400);
    await notJson.body.dump();
  });

  it('answers a body with several bad fields with every one of them, each with its own message', async () => {
    const response = await postJson<{ field: string; errors: { field: string; message: string }[] }>(`${url}/api/tests`, { ...valid, message_count_per_driver: 0, warmup_count_per_driver: -1, target_url: 'nope', surprise: 1 });
    assert.equal(response.status, 400);
    assert.deepEqual(response.body.errors.map((e) => e.field).sort(), ['message_count_per_driver', 'surprise', 'target_url', 'warmup_count_per_driver']);
    assert.equal(response.body.field, response.body.errors[0]?.field, 'field names the first of them');
    const byField = new Map(response.body.errors.map((e) => [e.field, e.message]));
    assert.equal(byField.get('message_count_per_driver'), 'message_count_per_driver: must be > 0');
    assert.equal(byField.get('warmup_count_per_driver'), 'warmup_count_per_driver: must be >= 0');
    assert.equal(byField.get('surprise'), 'surprise: unknown field');
    const withModelRule = await postJson<{ errors: { field: string }[] }>(`${url}/api/tests`, { ...valid, test_type: 'AVALANCHE', test_message_delay: 5, message_count_per_driver: 0 });
    assert.deepEqual(withModelRule.body.errors.map((e) => e.field).sort(), ['message_count_per_driver', 'test_message_delay'], "the load model's rule is checked beside the other fields");
  });

  it('marks a deregistered driver left, and removes left or lost drivers on DELETE /api/drivers/{node_id}, never alive ones', async () => {
    const nodeId = `leaving-${Date.now()}`;
    const aliveId = `staying-${Date.now()}`;
    await bus.publish(TOPICS.register, { node_id: nodeId, node_IP: '127.0.0.1:9', message_type: 'DRIVER_NODE_REGISTER' });
    await bus.publish(TOPICS.heartbeat, { node_id: aliveId, heartbeat: 'YES', timestamp: new Date().toISOString() });
    const find = async (id: string) => (await getJson<Driver[]>(`${url}/api/drivers`)).find((d) => d.node_id === id);
    await eventually(() => find(aliveId), (d) => d?.status === 'alive', 5_000, 'the other driver alive');
    await eventually(() => find(nodeId), (d) => d?.status === 'alive', 5_000, 'the driver alive');
    await bus.publish(TOPICS.register, { node_id: nodeId, node_IP: '127.0.0.1:9', message_type: 'DRIVER_NODE_DEREGISTER' });
    await eventually(() => find(nodeId), (d) => d?.status === 'left', 5_000, 'the driver left');
    const refusedAlive = await request(`${url}/api/drivers/${aliveId}`, { method: 'DELETE' });
    assert.equal(refusedAlive.statusCode, 409);
    assert.match(((await refusedAlive.body.json()) as { message: string }).message, /is alive/);
    const removed = await request(`${url}/api/drivers/${encodeURIComponent(nodeId)}`, { method: 'DELETE' });
    assert.equal(removed.statusCode, 204);
    await removed.body.dump();
    assert.equal(await find(nodeId), undefined);
    const unknown = await request(`${url}/api/drivers/${encodeURIComponent(nodeId)}`, { method: 'DELETE' });
    assert.equal(unknown.statusCode, 404);
    await unknown.body.dump();
  });

  it('says on GET /api/status when the newest Kafka message arrived', async () => {
    const before = Date.now();
    await bus.publish(TOPICS.heartbeat, { node_id: `status-${before}`, heartbeat: 'YES', timestamp: new Date().toISOString() });
    type Status = { last_kafka_message_at: string | null; kafka_readable: boolean };
    const status = await eventually(() => getJson<Status>(`${url}/api/status`), (s) => s.last_kafka_message_at !== null && Date.parse(s.last_kafka_message_at) >= before, 5_000, 'the heartbeat counted as the newest message');
    assert.equal(status.kafka_readable, true);
    assert.deepEqual(Object.keys(status).sort(), ['kafka_readable', 'last_kafka_message_at']);
  });

  it('answers 404 for unknown tests and 409 when too few drivers are alive', async () => {
    for (const path of ['/api/tests/nope', '/api/tests/nope/report']) {
      const response = await request(`${url}${path}`);
      assert.equal(response.statusCode, 404, path);
      await response.body.dump();
    }
    assert.equal((await postJson(`${url}/api/tests/nope/trigger`, {})).status, 404);
    const conflict = await postJson<{ message: string; field: string }>(`${url}/api/tests`, { ...valid, drivers: 50 });
    assert.equal(conflict.status, 409);
    assert.equal(conflict.body.field, 'drivers');
    assert.match(conflict.body.message, /asked for 50 drivers/);
  });

  it('shows any spec-speaking driver, marks it lost after 3 s of silence while another is heard, and alive again after a heartbeat', async () => {
    const nodeId = `spec-only-${Date.now()}`;
    // Everyone silent at once would be a crowd silence (a broker failing over), judged after 15 s: a
    // companion keeps talking, so this silence is this driver's own.
    const companion = `companion-${Date.now()}`;
    const companionBeat = () => bus.publishRaw(TOPICS.heartbeat, JSON.stringify({ node_id: companion, heartbeat: 'YES', timestamp: new Date().toISOString() }));
    await companionBeat();
    const beating = setInterval(() => void companionBeat(), 500);
    try {
      await bus.publishRaw(TOPICS.register, JSON.stringify({ node_id: nodeId, node_IP: '10.0.0.9:9000', message_type: 'DRIVER_NODE_REGISTER' }));
      await bus.publishRaw(TOPICS.heartbeat, JSON.stringify({ node_id: nodeId, heartbeat: 'YES', timestamp: String(Date.now()) }));
      const find = async () => (await getJson<Driver[]>(`${url}/api/drivers`)).find((d) => d.node_id === nodeId);
      const seen = await eventually(find, (d) => d?.status === 'alive', 5_000, 'the driver to appear');
      assert.equal(seen?.node_ip, '10.0.0.9:9000');
      const silentSince = Date.now();
      await eventually(find, (d) => d?.status === 'lost', 6_000, 'the driver to be marked lost');
      assert.ok(Date.now() - silentSince >= 2_500, 'not marked lost before 3 s of silence');
      await bus.publish(TOPICS.heartbeat, { node_id: nodeId, heartbeat: 'YES', timestamp: new Date().toISOString() });
      await eventually(find, (d) => d?.status === 'alive', 5_000, 'the driver to be alive again');
    } finally {
      clearInterval(beating);
    }
  });

  it("shows each report's count on GET /api/tests/{id} within one second of its publication", async () => {
    const nodeId = `fresh-${Date.now()}`;
    const heartbeat = () => bus.publish(TOPICS.heartbeat, { node_id: nodeId, heartbeat: 'YES', timestamp: new Date().toISOString() });
    await bus.publish(TOPICS.register, { node_id: nodeId, node_IP: '127.0.0.1:9', message_type: 'DRIVER_NODE_REGISTER' });
    await heartbeat();
    await eventually(() => getJson<Driver[]>(`${url}/api/drivers`), (list) => list.some((d) => d.node_id === nodeId && d.status === 'alive'), 5_000, 'the driver alive');
    const created = await postJson<{ test_id: string }>(`${url}/api/tests`, { ...valid, drivers: [nodeId], trigger: true });
    assert.equal(created.status, 201);
    const testId = created.body.test_id;
    for (let seq = 1; seq <= 5; seq++) {
      await heartbeat();
      const sent = seq * 100;
      const publishedAt = Date.now();
      await bus.publish(TOPICS.metrics, { node_id: nodeId, test_id: testId, report_id: `${testId}-${seq}`, metrics: { mean_latency: 1, median_latency: 1, min_latency: 1, max_latency: 1 }, sent, completed: sent, seq });
      type Shown = { drivers: { node_id: string; sent: number }[] };
      await eventually(() => getJson<Shown>(`${url}/api/tests/${testId}`), (t) => t.drivers.some((d) => d.node_id === nodeId && d.sent === sent), 5_000, `report ${seq}`);
      assert.ok(Date.now() - publishedAt < 1_000, `report ${seq} took ${Date.now() - publishedAt} ms to show`);
    }
  });

  it("keeps the warm-up in the test's config and shows each driver's phase from its latest report", async () => {
    const nodeId = `warming-${Date.now()}`;
    await bus.publish(TOPICS.register, { node_id: nodeId, node_IP: '127.0.0.1:9', message_type: 'DRIVER_NODE_REGISTER' });
    await bus.publish(TOPICS.heartbeat, { node_id: nodeId, heartbeat: 'YES', timestamp: new Date().toISOString() });
    await eventually(() => getJson<Driver[]>(`${url}/api/drivers`), (list) => list.some((d) => d.node_id === nodeId && d.status === 'alive'), 5_000, 'the driver alive');
    const created = await postJson<{ test_id: string }>(`${url}/api/tests`, { ...valid, warmup_count_per_driver: 20, drivers: [nodeId], trigger: true });
    assert.equal(created.status, 201);
    type Shown = { config: { warmup_count_per_driver: number | null }; drivers: { node_id: string; phase: string | null; warmup_completed: number }[] };
    const testUrl = `${url}/api/tests/${created.body.test_id}`;
    const shown = await getJson<Shown>(testUrl);
    assert.equal(shown.config.warmup_count_per_driver, 20);
    assert.equal(shown.drivers[0]?.phase, null, 'no report, no phase');
    const report = (seq: number, progress: Record<string, unknown>) =>
      bus.publish(TOPICS.metrics, { node_id: nodeId, test_id: created.body.test_id, report_id: `${created.body.test_id}-${seq}`, metrics: { mean_latency: 0, median_latency: 0, min_latency: 0, max_latency: 0 }, seq, ...progress });
    await report(1, { sent: 0, completed: 0, phase: 'warmup', warmup_completed: 5 });
    await eventually(() => getJson<Shown>(testUrl), (t) => t.drivers[0]?.phase === 'warmup' && t.drivers[0].warmup_completed === 5, 5_000, 'the warm-up phase');
    await report(2, { sent: 3, completed: 3, phase: 'workload', warmup_completed: 20 });
    await eventually(() => getJson<Shown>(testUrl), (t) => t.drivers[0]?.phase === 'workload', 5_000, 'the workload phase');
  });

  it('pages GET /api/tests newest first, naming the next page in a Link header, and refuses a bad page', async () => {
    const nodeId = `pager-${Date.now()}`;
    await bus.publish(TOPICS.register, { node_id: nodeId, node_IP: '127.0.0.1:9', message_type: 'DRIVER_NODE_REGISTER' });
    await bus.publish(TOPICS.heartbeat, { node_id: nodeId, heartbeat: 'YES', timestamp: new Date().toISOString() });
    await eventually(() => getJson<Driver[]>(`${url}/api/drivers`), (list) => list.some((d) => d.node_id === nodeId && d.status === 'alive'), 5_000, 'the driver alive');
    const created: string[] = [];
    for (let i = 0; i < 3; i++) created.unshift((await postJson<{ test_id: string }>(`${url}/api/tests`, { ...valid, drivers: [nodeId] })).body.test_id);
    const first = await request(`${url}/api/tests?limit=2&state=created`);
    const firstPage = (await first.body.json()) as { test_id: string }[];
    assert.deepEqual(firstPage.map((t) => t.test_id), created.slice(0, 2));
    const link = /^<([^>]+)>; rel="next"$/.exec(String(first.headers.link));
    assert.ok(link, `a Link header names the next page: ${String(first.headers.link)}`);
    const second = (await getJson<{ test_id: string }[]>(`${url}${link[1]}`)).map((t) => t.test_id);
    assert.equal(second[0], created[2], 'the next page goes on where the first ended');
    const everything = await getJson<unknown[]>(`${url}/api/tests`);
    assert.ok(everything.length >= 3 && everything.length <= 50, 'without parameters: the newest page');
    const backwards = 'since=2026-12-02T00:00:00Z&until=2026-12-01T00:00:00Z';
    for (const [bad, field] of [['limit=0', 'limit'], ['limit=x', 'limit'], ['state=done', 'state'], ['since=yesterday', 'since'], [backwards, 'until']]) {
      const refused = await request(`${url}/api/tests?${bad}`);
      assert.equal(refused.statusCode, 400, bad);
      assert.equal(((await refused.body.json()) as { field: string }).field, field, bad);
    }
    const noSuchPage = await request(`${url}/api/tests?before=nonsense`);
    assert.equal(noSuchPage.statusCode, 404, 'a cursor this API did not give names no page');
    assert.match(((await noSuchPage.body.json()) as { message: string }).message, /not a cursor this API gave/);
  });

  it('restarted with --retain-tests 1, removes the older finished tests: 404 saying retention removed it, list and report alike', async () => {
    const nodeId = `retained-${Date.now()}`;
    const first = await startOrchestratorProcess();
    const heartbeatThenList = async () => {
      await bus.publish(TOPICS.heartbeat, { node_id: nodeId, heartbeat: 'YES', timestamp: new Date().toISOString() });
      return getJson<Driver[]>(`${first.url}/api/drivers`);
    };
    await eventually(heartbeatThenList, (list) => list.some((d) => d.node_id === nodeId && d.status === 'alive'), 5_000, 'the driver alive');
    const finished: string[] = [];
    for (let i = 0; i < 3; i++) {
      const testId = (await postJson<{ test_id: string }>(`${first.url}/api/tests`, { ...valid, drivers: [nodeId] })).body.test_id;
      assert.equal((await postJson(`${first.url}/api/tests/${testId}/cancel`, {})).status, 202);
      await eventually(() => getJson<{ state: string }>(`${first.url}/api/tests/${testId}`), (t) => t.state === 'cancelled', 5_000, `test ${i} cancelled`);
      finished.push(testId);
    }
    await stopChild(first.child.process);

    const restarted = await startOrchestratorProcess(first.storeFile, undefined, ['--retain-tests', '1']);
    assert.deepEqual((await getJson<{ test_id: string }[]>(`${restarted.url}/api/tests`)).map((t) => t.test_id), [finished[2]]);
    for (const path of [`/api/tests/${finished[0]}`, `/api/tests/${finished[1]}/report`]) {
      const gone = await request(`${restarted.url}${path}`);
      assert.equal(gone.statusCode, 404, path);
      assert.match(((await gone.body.json()) as { message: string }).message, /^test \S+ was removed by retention \(--retain-tests 1\) at \d{4}-\d\d-\d\dT/, path);
    }
    assert.equal((await getJson<{ state: string }>(`${restarted.url}/api/tests/${finished[2]}`)).state, 'cancelled');
    await stopChild(restarted.child.process);
  });

  it('logs, counts and skips garbage on register, heartbeat and metrics, and keeps serving', async () => {
    for (const topic of [TOPICS.register, TOPICS.heartbeat, TOPICS.metrics]) {
      for (const text of ['not json', '{"node_id": 42}', '{}']) await bus.publishRaw(topic, text);
    }
    const metrics = await eventually(
      async () => (await request(`${url}/metrics`)).body.text(),
      (text) => ['register', 'heartbeat', 'metrics'].every((t) => new RegExp(`stampede_kafka_messages_rejected_total\\{topic="${t}"\\} [3-9]`).test(text)),
      10_000,
      'rejected counts on /metrics',
    );
    assert.match(metrics, /stampede_drivers\{status="alive"\}/);
    assert.ok(Array.isArray(await getJson(`${url}/api/tests`)));
  });

  it('ends open event streams on SIGTERM and exits promptly', { timeout: 20_000 }, async () => {
    const { child, url: ownUrl } = await startOrchestratorProcess();
    const events = await request(`${ownUrl}/api/events`);
    assert.equal(events.statusCode, 200);
    const streamEnded = events.body.text();
    const stoppedAt = Date.now();
    child.process.kill('SIGTERM');
    assert.equal(await child.exited, 0);
    assert.match(await streamEnded, /event: bye/);
    assert.ok(Date.now() - stoppedAt < 10_000, `exit took ${Date.now() - stoppedAt} ms`);
  });

  it('with --token, refuses every POST without the token (401) and keeps reading open', async () => {
    const { url: guarded } = await startOrchestratorProcess(undefined, undefined, ['--token', 's3cret']);
    const body = { ...valid, drivers: ['nobody-here'] };
    const post = (headers: Record<string, string>) => request(`${guarded}/api/tests`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
    for (const headers of [{}, { authorization: 'Bearer wrong' }, { authorization: 's3cret' }] as Record<string, string>[]) {
      const refused = await post(headers);
      assert.equal(refused.statusCode, 401, JSON.stringify(headers));
      assert.equal(refused.headers['www-authenticate'], 'Bearer');
      await refused.body.dump();
    }
    const accepted = await post({ authorization: 'Bearer s3cret' });
    assert.equal(accepted.statusCode, 409, 'past the token check, the request meets the usual rules');
    await accepted.body.dump();
    assert.equal((await postJson(`${guarded}/api/tests/nope/cancel`, {})).status, 401);
    const deleted = await request(`${guarded}/api/drivers/nobody-here`, { method: 'DELETE' });
    assert.equal(deleted.statusCode, 401, 'removing a driver needs the token too');
    await deleted.body.dump();
    assert.deepEqual(await getJson(`${guarded}/api/tests`), []);

    const runArgs = ['run', '--orchestrator', guarded.replace('http://', ''), '--target', 'http://127.0.0.1:9/ping', '--type', 'avalanche', '--count', '5', '--drivers', 'nobody-here'];
    const withoutToken = startCli(runArgs);
    assert.equal(await withoutToken.exited, 1);
    assert.match(withoutToken.stderr(), /without its token: pass --token or set STAMPEDE_TOKEN/);
    const withToken = startCli(runArgs, { STAMPEDE_TOKEN: 's3cret' });
    assert.equal(await withToken.exited, 1);
    assert.match(withToken.stderr(), /drivers not alive: nobody-here/);
  });

  it('serves an OpenAPI document covering every route', async () => {
    const doc = await getJson<{ openapi: string; paths: Record<string, unknown>; components: { schemas: { CreateTest: { properties: Record<string, unknown> } } } }>(`${url}/openapi.json`);
    assert.equal(doc.openapi, '3.1.0');
    for (const path of ['/api/drivers', '/api/tests', '/api/tests/{test_id}', '/api/tests/{test_id}/trigger', '/api/tests/{test_id}/cancel', '/api/tests/{test_id}/report', '/api/drivers/{node_id}', '/api/status', '/metrics']) {
      assert.ok(doc.paths[path], path);
    }
    assert.ok(doc.components.schemas.CreateTest.properties.message_count_per_driver);
    assert.ok(doc.components.schemas.CreateTest.properties.warmup_count_per_driver);
  });
});
