import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { testBrokers } from '../helpers/kafka.js';
import { eventually, getJson, postJson, startDriverProcess, startOrchestratorProcess, startTarget, stopAllChildren, type Child } from '../helpers/processes.js';

type TestView = { test_id: string; state: string; reason: string | null; aggregate: { completed: number } };

const OUT_OF_RANGE_DATES: unknown[] = [1e308, '9e15', -1e300];
const RECORDS_PER_TOPIC = 12;

/** kcat, an independent client, publishes what no Stampede node would ever write. */
function kcatProduce(topic: string, lines: string[]): void {
  execFileSync('kcat', ['-b', testBrokers().join(','), '-P', '-t', topic], { input: lines.join('\n') + '\n', timeout: 15_000 });
}

function badRecords(make: (date: unknown) => Record<string, unknown>): string[] {
  return Array.from({ length: RECORDS_PER_TOPIC }, (_, i) => JSON.stringify(make(OUT_OF_RANGE_DATES[i % OUT_OF_RANGE_DATES.length])));
}

function rejectedCounts(metricsText: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const match of metricsText.matchAll(/^stampede_kafka_messages_rejected_total\{topic="(\w+)"\} (\d+)$/gm)) counts[match[1]!] = Number(match[2]);
  return counts;
}

describe('records with out-of-range dates, published with kcat mid-test', () => {
  let target: { child: Child; url: string };
  let orchestrator: { child: Child; url: string };
  let driver: { child: Child; nodeId: string };

  before(async () => {
    target = await startTarget();
    orchestrator = await startOrchestratorProcess();
    driver = await startDriverProcess(orchestrator.url);
  });
  after(async () => {
    await stopAllChildren();
  });

  it('are counted as rejected, restart no consumer stream and do not stall the running count', async () => {
    const total = 500;
    const created = await postJson<TestView>(`${orchestrator.url}/api/tests`, { test_type: 'TSUNAMI', test_message_delay: 10, message_count_per_driver: total, target_url: `${target.url}/ping`, drivers: [driver.nodeId], trigger: true });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const testId = created.body.test_id;
    const getTest = () => getJson<TestView>(`${orchestrator.url}/api/tests/${testId}`);
    const atInjection = await eventually(getTest, (t) => t.state === 'running' && t.aggregate.completed > 0, 20_000, 'the test to count its first responses');
    const rejectedBefore = rejectedCounts(await (await fetch(`${orchestrator.url}/metrics`)).text());

    kcatProduce('heartbeat', badRecords((timestamp) => ({ node_id: driver.nodeId, heartbeat: 'YES', timestamp, state: 'running', test_id: testId })));
    kcatProduce('metrics', badRecords((timestamp) => ({ node_id: driver.nodeId, test_id: testId, report_id: `bad-${String(timestamp)}`, metrics: { mean_latency: 1, median_latency: 1, min_latency: 1, max_latency: 1 }, timestamp })));
    kcatProduce('test_config', badRecords((created_at) => ({ test_id: `${testId}-bad`, test_type: 'TSUNAMI', test_message_delay: '10', message_count_per_driver: '5', created_at })));

    const grown = await eventually(getTest, (t) => t.aggregate.completed > atInjection.aggregate.completed, 10_000, 'the running count to grow after the bad records');
    assert.equal(grown.state, 'running', 'the count grew while the test was still running');
    await eventually(
      async () => rejectedCounts(await (await fetch(`${orchestrator.url}/metrics`)).text()),
      (counts) => ['heartbeat', 'metrics'].every((topic) => (counts[topic] ?? 0) - (rejectedBefore[topic] ?? 0) === RECORDS_PER_TOPIC),
      10_000,
      `${RECORDS_PER_TOPIC} rejected heartbeat and metrics records`,
    );
    const finished = await eventually(getTest, (t) => t.state !== 'running', 30_000, 'the test to finish');
    assert.equal(finished.state, 'completed', finished.reason ?? '');
    assert.equal(finished.aggregate.completed, total);
    for (const [name, child] of [['orchestrator', orchestrator.child], ['driver', driver.child]] as const) {
      assert.doesNotMatch(child.stderr(), /consumer stream failed/, `${name} restarted a consumer stream`);
      assert.match(child.stderr(), /malformed Kafka message skipped/, `${name} logged the bad records`);
    }
  });
});
