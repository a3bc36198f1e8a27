import type { TestConfigMessage } from '../src/protocol/index.js';
import { startTarget, stopAllChildren } from '../test/helpers/processes.js';
import { DriverHarness, type LoadSettings } from './support/driverHarness.js';
import { CpuMeter } from './support/procStats.js';
import { fixed, markdownTable, printSection, ratio } from './support/table.js';

/**
 * What a user journey costs the driver per request, beside the plain request path: requests per
 * CPU-second of the driver process (the figure that decides how many machines a load needs) for one
 * GET sent as requests, the same GET as a one-step flow, and a 4-step flow with a capture, checks and
 * templated variables. The driver runs with --workers 1, as scenario tests always run on its own thread.
 */
const VUS = 64;
const REQUESTS = 120_000;
const ROUNDS = 5;

type Shape = { shape: string; settings: LoadSettings };

function shapes(url: string): Shape[] {
  const base = { test_type: 'AVALANCHE' as const, message_count_per_driver: REQUESTS };
  const scenario = (iterations: number, flow: unknown[]) => ({ ...base, scenarios: { s: { executor: 'shared-iterations', vus: VUS, iterations, flow } } as unknown as TestConfigMessage['scenarios'] });
  return [
    { shape: 'requests: one GET', settings: { ...base, target_url: url, concurrency: VUS } },
    { shape: 'flow: one GET step', settings: scenario(REQUESTS, [{ name: 'ping', method: 'GET', url }]) },
    {
      shape: 'flow: 4 steps (capture, 3 checks, variables)',
      settings: scenario(REQUESTS / 4, [
        { name: 'first', method: 'GET', url, capture: { code: { status: true } } },
        { name: 'second', method: 'GET', url: `${url}?vu={{vu}}&i={{iteration}}`, check: [{ status: 200 }] },
        { name: 'third', method: 'GET', url: `${url}?code={{code}}`, check: [{ body_contains: 'pong' }, { max_ms: 1000 }] },
        { name: 'fourth', method: 'GET', url },
      ]),
    },
  ];
}

async function main(): Promise<void> {
  const harness = await DriverHarness.start(['--workers', '1']);
  try {
    const target = await startTarget();
    const url = `${target.url}/ping`;
    const measured = shapes(url);
    const perCpu = measured.map(() => [] as number[]);
    const perSecond = measured.map(() => [] as number[]);
    for (let round = 0; round < ROUNDS; round++) {
      for (const [index, { settings }] of measured.entries()) {
        const meter = new CpuMeter(harness.pid);
        const result = await harness.run(settings);
        const { cpuSeconds } = meter.read();
        perCpu[index]!.push((result.report.completed ?? 0) / cpuSeconds);
        perSecond[index]!.push(result.requestsPerSecond);
      }
    }
    const medians = perCpu.map(median);
    const rows = measured.map(({ shape }, index) => [shape, fixed(medians[index]!), perCpu[index]!.map((r) => fixed(r)).join(' / '), fixed(median(perSecond[index]!)), ratio(medians[index]!, medians[0]!)]);
    printSection(`User journeys: the driver's cost per request, ${VUS} VUs (or connections), ${REQUESTS} requests, --workers 1, stampede target, median of ${ROUNDS} rounds in turn`, markdownTable(['load', 'req per CPU-s (median)', 'each round', 'req/s', '÷ requests'], rows), [
      'req per CPU-s: completed requests ÷ the driver process\'s user+system CPU seconds over the run (from the config to the final report).',
      'flows: shared-iterations, the same total of requests; the 4-step flow captures the status, renders {{vu}}, {{iteration}} and a capture into URLs, and checks status, body and latency.',
    ]);
  } finally {
    await harness.close();
    await stopAllChildren();
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

await main();
process.exit(0);
