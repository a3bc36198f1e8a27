import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import { eventually, getJson, postJson, startDriverProcess, startOrchestratorProcess, stopAllChildren } from '../helpers/processes.js';
import { startRequestLogServer, type RequestLogServer } from '../helpers/requestLogServer.js';
import { selfSignedCertificate } from '../helpers/selfSignedCertificate.js';

type Latency = Record<string, number | null>;
type RequestFigures = { name: string; method: string; url: string; sent: number; completed: number; errors: Record<string, number>; error_count: number; status_counts: Record<string, number>; latency: Latency };
type Figures = { sent: number; completed: number; errors: Record<string, number>; status_counts: Record<string, number>; bytes_received: number; requests: RequestFigures[] };
type TestView = { test_id: string; state: string; reason: string | null; aggregate: Figures; drivers: (Figures & { node_id: string; outcome: string | null; reason: string | null })[] };

const PER_DRIVER = 200;
const finished = (t: TestView) => ['completed', 'failed', 'cancelled'].includes(t.state);

describe('a weighted mix of requests on real drivers and Kafka', () => {
  let orchestratorUrl: string;
  let driverIds: string[];
  let target: RequestLogServer;
  let secureTarget: RequestLogServer;
  let certFile: string;

  before(async () => {
    target = await startRequestLogServer();
    const certificate = selfSignedCertificate();
    certFile = certificate.certFile;
    secureTarget = await startRequestLogServer(certificate);
    ({ url: orchestratorUrl } = await startOrchestratorProcess());
    driverIds = (await Promise.all([startDriverProcess(orchestratorUrl), startDriverProcess(orchestratorUrl)])).map((d) => d.nodeId);
  });
  after(async () => {
    await stopAllChildren();
    await target.close();
    await secureTarget.close();
  });

  const runTest = async (body: Record<string, unknown>): Promise<TestView> => {
    const created = await postJson<TestView>(`${orchestratorUrl}/api/tests`, { test_type: 'TSUNAMI', test_message_delay: 2, drivers: driverIds, trigger: true, ...body });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    return eventually(() => getJson<TestView>(`${orchestratorUrl}/api/tests/${created.body.test_id}`), finished, 60_000, 'the test to finish');
  };

  it('sends exactly the weighted counts, templates and headers as written, and figures per request', async () => {
    const requests = [
      { name: 'create', method: 'POST', url: `${target.origin}/items?n={{seq}}`, headers: { 'content-type': 'application/json', authorization: 'Bearer t-{{driver_id}}' }, body: '{"id":"{{uuid}}","test":"{{test_id}}"}', weight: 1 },
      { name: 'list', url: `${target.origin}/items`, weight: 2 },
      { name: 'broken', url: `${target.origin}/status/503`, weight: 1 },
    ];
    const test = await runTest({ message_count_per_driver: PER_DRIVER, requests });
    assert.equal(test.state, 'completed', test.reason ?? '');

    const creates = target.requests.filter((r) => r.method === 'POST');
    const lists = target.requests.filter((r) => r.method === 'GET' && r.url === '/items');
    const broken = target.requests.filter((r) => r.url === '/status/503');
    assert.deepEqual([creates.length, lists.length, broken.length], [PER_DRIVER / 2, PER_DRIVER, PER_DRIVER / 2], 'the 1:2:1 shares, exactly, over both drivers');
    assert.equal(target.requests.length, 2 * PER_DRIVER);

    const bodies = creates.map((r) => JSON.parse(r.body) as { id: string; test: string });
    assert.equal(new Set(bodies.map((b) => b.id)).size, creates.length, 'every {{uuid}} is new');
    assert.ok(bodies.every((b) => b.test === test.test_id));
    assert.deepEqual(new Set(creates.map((r) => r.headers.authorization)), new Set(driverIds.map((id) => `Bearer t-${id}`)));
    assert.ok(creates.every((r) => r.headers['content-type'] === 'application/json'));
    for (const id of driverIds) {
      const seqs = creates.filter((r) => r.headers.authorization === `Bearer t-${id}`).map((r) => Number(new URL(r.url, 'http://x').searchParams.get('n')));
      assert.equal(seqs.length, PER_DRIVER / 4, `${id}'s creates`);
      assert.equal(new Set(seqs).size, seqs.length, `${id}'s {{seq}} never repeats`);
    }

    assert.deepEqual(test.aggregate.errors, { http_503: PER_DRIVER / 2 });
    assert.deepEqual(test.aggregate.status_counts, { '200': (3 * PER_DRIVER) / 2, '503': PER_DRIVER / 2 });
    assert.equal(test.aggregate.bytes_received, 2 * PER_DRIVER * 2, 'every answer is "ok"');
    const byName = Object.fromEntries(test.aggregate.requests.map((r) => [r.name, r]));
    assert.deepEqual(Object.keys(byName), ['create', 'list', 'broken']);
    assert.deepEqual([byName.create!.completed, byName.list!.completed, byName.broken!.completed], [PER_DRIVER / 2, PER_DRIVER, PER_DRIVER / 2]);
    assert.deepEqual(byName.broken!.errors, { http_503: PER_DRIVER / 2 });
    assert.equal(byName.broken!.latency.median, null, 'no success, no latency');
    assert.equal(byName.create!.method, 'POST');
    assert.ok((byName.list!.latency.p99 ?? 0) > 0);
    for (const d of test.drivers) assert.deepEqual(d.requests.map((r) => r.completed), [PER_DRIVER / 4, PER_DRIVER / 2, PER_DRIVER / 4], d.node_id);

    const csv = await (await request(`${orchestratorUrl}/api/tests/${test.test_id}/report?format=csv`)).body.text();
    assert.match(csv, /^request,,create,POST,100,/m);
    assert.match(csv, /^request,,broken,GET,100,/m);
  });

  it('reaches an HTTPS target with a self-signed certificate only with tls_insecure', async () => {
    const url = `${secureTarget.origin}/ping`;
    const refused = await runTest({ message_count_per_driver: 5, target_url: url });
    assert.deepEqual(refused.aggregate.errors, { tls: 10 });
    const accepted = await runTest({ message_count_per_driver: 5, target_url: url, tls_insecure: true });
    assert.deepEqual([accepted.state, accepted.aggregate.completed, accepted.aggregate.errors], ['completed', 10, {}]);
  });

  it('trusts a private CA given to a driver with --ca-file', async () => {
    const trusting = await startDriverProcess(orchestratorUrl, ['--ca-file', certFile]);
    const test = await runTest({ message_count_per_driver: 5, target_url: `${secureTarget.origin}/ping`, drivers: [trusting.nodeId] });
    assert.deepEqual([test.state, test.aggregate.completed, test.aggregate.errors], ['completed', 5, {}]);
  });

  it('refuses bad requests with 400 naming the field path', async () => {
    const response = await postJson<{ errors: { field: string; message: string }[] }>(`${orchestratorUrl}/api/tests`, {
      test_type: 'TSUNAMI',
      test_message_delay: 2,
      message_count_per_driver: 5,
      requests: [{ url: `${target.origin}/a` }, { url: `${target.origin}/b`, headers: { 'bad header': 'x' } }, { url: `${target.origin}/c`, weight: 0 }],
    });
    assert.equal(response.status, 400);
    const fields = response.body.errors.map((e) => e.field);
    assert.ok(fields.includes('requests[1].headers.bad header'), JSON.stringify(response.body));
    assert.ok(fields.includes('requests[2].weight'), JSON.stringify(response.body));
  });
});
