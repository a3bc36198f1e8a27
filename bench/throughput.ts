import { startTarget, stopAllChildren } from '../test/helpers/processes.js';
import { DriverHarness, errorCount, type LoadSettings } from './support/driverHarness.js';
import { startNginx } from '../test/helpers/nginx.js';
import { autocannon, wrk } from './support/peers.js';
import { fixed, markdownTable, printSection, ratio } from './support/table.js';

const CONNECTIONS = 64;
const RUN_SECONDS = 10;
const WARMUP_SECONDS = 3;

type Measured = { tool: string; requestsPerSecond: number; errors: number };

/** Rounds of the request-shape comparison, taken in turn so drift on a shared machine hits each alike. */
const MIX_ROUNDS = 3;
/** The driver's rate on this machine's target is about this; only the run length depends on it. */
const SHAPES_ONLY_RATE = 15_000;

/** The same load, three ways to say what to send: what templates and a mix cost per request. */
function requestShapes(url: string): { shape: string; settings: Partial<LoadSettings> }[] {
  return [
    { shape: 'one GET (target_url)', settings: { target_url: url } },
    { shape: 'one GET (requests, no template)', settings: { requests: [{ method: 'GET', url, weight: 1 }] } },
    {
      shape: '3-request mix, templated POST body',
      settings: {
        requests: [
          { name: 'get', method: 'GET', url, weight: 2 },
          { name: 'post', method: 'POST', url, weight: 1, headers: { 'content-type': 'application/json' }, body: '{"id":"{{uuid}}","n":{{seq}},"at":{{now_ms}}}' },
          { name: 'query', method: 'GET', url: `${url}?q={{random_int:1:1000}}`, weight: 1 },
        ],
      },
    },
  ];
}

async function measureShapes(url: string, harness: DriverHarness, count: number): Promise<string[][]> {
  const shapes = requestShapes(url);
  const rates = shapes.map(() => [] as number[]);
  for (let round = 0; round < MIX_ROUNDS; round++) {
    for (const [index, { settings }] of shapes.entries()) {
      const result = await harness.run({ test_type: 'AVALANCHE', message_count_per_driver: count, concurrency: CONNECTIONS, ...settings });
      rates[index]!.push(result.requestsPerSecond);
    }
  }
  const medians = rates.map(median);
  return shapes.map(({ shape }, index) => [shape, fixed(medians[index]!), rates[index]!.map((r) => fixed(r)).join(' / '), ratio(medians[index]!, medians[0]!)]);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function measureAgainst(url: string, harness: DriverHarness): Promise<Measured[]> {
  // Warms the target's JIT (ours) and page cache (nginx) so the first measured tool is not penalised.
  await autocannon(url, CONNECTIONS, WARMUP_SECONDS);
  const ac = await autocannon(url, CONNECTIONS, RUN_SECONDS);
  // The driver sends a fixed count: sized from autocannon's rate so its run lasts about as long as the peers' timed runs.
  const count = Math.round(ac.requestsPerSecond * RUN_SECONDS);
  const stampede = await harness.run({ test_type: 'AVALANCHE', message_count_per_driver: count, target_url: url, concurrency: CONNECTIONS });
  const wrkOne = await wrk(url, CONNECTIONS, RUN_SECONDS, 1);
  const wrkTwo = await wrk(url, CONNECTIONS, RUN_SECONDS, 2);
  return [
    { tool: 'stampede driver', requestsPerSecond: stampede.requestsPerSecond, errors: errorCount(stampede.report) },
    { tool: 'autocannon 9', requestsPerSecond: ac.requestsPerSecond, errors: ac.errors },
    { tool: 'wrk -t1', requestsPerSecond: wrkOne.requestsPerSecond, errors: wrkOne.errors },
    { tool: 'wrk -t2', requestsPerSecond: wrkTwo.requestsPerSecond, errors: wrkTwo.errors },
  ];
}

function rowsFor(targetName: string, measured: Measured[]): string[][] {
  const rateOf = (tool: string): number => measured.find((m) => m.tool === tool)?.requestsPerSecond ?? 0;
  const stampede = rateOf('stampede driver');
  return measured.map((m) => [targetName, m.tool, fixed(m.requestsPerSecond), String(m.errors), ratio(stampede, m.requestsPerSecond)]);
}

/** Sized to about 5 s per run at the rate measured beside the peers (or a fixed guess when only shapes run). */
async function printShapes(url: string, harness: DriverHarness, requestsPerSecond: number): Promise<void> {
  const shapes = await measureShapes(url, harness, Math.round(requestsPerSecond * 5));
  printSection(`Request shapes: AVALANCHE, ${CONNECTIONS} connections, stampede target, median of ${MIX_ROUNDS} rounds taken in turn`, markdownTable(['requests', 'req/s (median)', 'each round', '÷ one GET'], shapes), [
    'The mix: GET ×2, POST with a JSON body holding {{uuid}}, {{seq}} and {{now_ms}} ×1, GET with {{random_int:1:1000}} in the query ×1 (weights 2:1:1); per-request figures are recorded for each name.',
  ]);
}

/** `node dist/bench/throughput.js shapes` runs only the request-shape rounds. */
async function main(): Promise<void> {
  const onlyShapes = process.argv.includes('shapes');
  const harness = await DriverHarness.start();
  try {
    const target = await startTarget();
    if (onlyShapes) {
      await printShapes(`${target.url}/ping`, harness, SHAPES_ONLY_RATE);
      return;
    }
    const ours = await measureAgainst(`${target.url}/ping`, harness);
    await printShapes(`${target.url}/ping`, harness, ours[0]?.requestsPerSecond ?? SHAPES_ONLY_RATE);
    const nginx = await startNginx();
    const theirs = await measureAgainst(nginx.url, harness).finally(() => nginx.stop());
    const table = markdownTable(['target', 'tool', 'req/s', 'errors', 'stampede ÷ tool'], [...rowsFor('stampede target (1 worker)', ours), ...rowsFor('nginx (1 worker, static file)', theirs)]);
    printSection(`Maximum throughput: AVALANCHE, no rate cap, ${CONNECTIONS} connections, ~${RUN_SECONDS} s per tool`, table, [
      'stampede driver: the `stampede driver` process triggered over Kafka; req/s = completed ÷ elapsed_ms of its final metrics report.',
      `autocannon and wrk: ${RUN_SECONDS} s timed runs; the driver's fixed count is autocannon's rate × ${RUN_SECONDS} s.`,
    ]);
  } finally {
    await harness.close();
    await stopAllChildren();
  }
}

await main();
process.exit(0);
