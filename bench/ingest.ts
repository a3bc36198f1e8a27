import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { connectTestBus } from '../test/helpers/kafka.js';
import { eventually, getJson, postJson, startOrchestratorProcess, stopAllChildren, stopChild } from '../test/helpers/processes.js';
import { percentile } from './support/arrivalServer.js';
import { CpuMeter, peakRssMiB } from './support/procStats.js';
import { PublishLane, SENT_PER_REPORT, SimulatedDrivers } from './support/simulatedDrivers.js';
import { fixed, markdownTable, printSection } from './support/table.js';

const SCALES = [8, 100, 1_000];
const RUN_SECONDS = 15;
const WATCHED_DRIVERS = 8;
const POLL_GAP_MS = 50;
/** After the last report, polling goes on this long so reports still in the pipe are not counted as lost. */
const DRAIN_MS = 3_000;
const REPORTS_PER_DRIVER_PER_SECOND = 2;
const PUBLISH_LANES = 8;

type TestView = { state: string; drivers: { node_id: string; sent: number }[] };
type DriverList = { node_id: string; status: string }[];

/** Watches GET /api/tests/{id}: a report counts as visible at the first response showing its `sent` (or a later one). */
class LagProbe {
  readonly lagsMs: number[] = [];
  readonly getMs: number[] = [];
  lastState = 'unknown';
  private readonly seenSeq = new Map<string, number>();

  constructor(
    private readonly testUrl: string,
    private readonly sims: SimulatedDrivers,
  ) {}

  async pollUntil(deadline: number): Promise<void> {
    while (performance.now() < deadline) {
      const askedAt = performance.now();
      const view = await getJson<TestView>(this.testUrl);
      const answeredAt = performance.now();
      this.getMs.push(answeredAt - askedAt);
      this.observe(view, answeredAt);
      await sleep(POLL_GAP_MS);
    }
  }

  /** Reports published but never seen on the REST API. */
  unseen(): number {
    let count = 0;
    for (const [nodeId, published] of this.sims.publishedAt) count += [...published.keys()].filter((seq) => seq > (this.seenSeq.get(nodeId) ?? 0)).length;
    return count;
  }

  private observe(view: TestView, at: number): void {
    this.lastState = view.state;
    for (const driver of view.drivers) {
      const published = this.sims.publishedAt.get(driver.node_id);
      if (!published) continue;
      const seq = Math.floor(driver.sent / SENT_PER_REPORT);
      for (let s = (this.seenSeq.get(driver.node_id) ?? 0) + 1; s <= seq; s++) {
        const publishedAt = published.get(s);
        if (publishedAt !== undefined) this.lagsMs.push(at - publishedAt);
      }
      this.seenSeq.set(driver.node_id, Math.max(seq, this.seenSeq.get(driver.node_id) ?? 0));
    }
  }
}

async function createTest(orchestratorUrl: string, driverIds: string[]): Promise<string> {
  const body = { test_type: 'AVALANCHE', message_count_per_driver: 1_000_000, target_url: 'http://127.0.0.1:9/ping', drivers: driverIds, trigger: true };
  const created = await postJson<{ test_id: string }>(`${orchestratorUrl}/api/tests`, body);
  if (created.status !== 201) throw new Error(`creating the test failed (${created.status}): ${JSON.stringify(created.body)}`);
  return created.body.test_id;
}

async function measureScale(lanes: PublishLane[], driverCount: number): Promise<string[]> {
  const orchestrator = await startOrchestratorProcess();
  const pid = orchestrator.child.process.pid!;
  const sims = new SimulatedDrivers(lanes, driverCount, WATCHED_DRIVERS);
  try {
    await sims.register();
    sims.start();
    const wanted = new Set(sims.ids);
    await eventually(() => getJson<DriverList>(`${orchestrator.url}/api/drivers`), (list) => list.filter((d) => wanted.has(d.node_id) && d.status === 'alive').length === driverCount, 60_000, `${driverCount} drivers alive`);
    const testId = await createTest(orchestrator.url, sims.ids);
    const probe = new LagProbe(`${orchestrator.url}/api/tests/${testId}`, sims);
    const orchestratorCpu = new CpuMeter(pid);
    const benchCpu = new CpuMeter(process.pid);
    sims.reportFor(testId);
    await probe.pollUntil(performance.now() + RUN_SECONDS * 1000);
    sims.stopReports();
    const cpu = orchestratorCpu.read();
    const publisherCpu = benchCpu.read();
    const published = sims.stats.reports;
    const backlog = sims.stats.pending;
    const stateAtEnd = probe.lastState;
    await probe.pollUntil(performance.now() + DRAIN_MS);
    const lags = [...probe.lagsMs].sort((a, b) => a - b);
    const gets = [...probe.getMs].sort((a, b) => a - b);
    return [
      String(driverCount),
      String(driverCount * REPORTS_PER_DRIVER_PER_SECOND),
      fixed(published / cpu.wallSeconds, 0),
      fixed(percentile(lags, 50), 0),
      fixed(percentile(lags, 99), 0),
      String(lags.length),
      String(probe.unseen()),
      fixed(percentile(gets, 50), 0),
      fixed(cpu.percentOfCore, 0),
      fixed(peakRssMiB(pid), 0),
      fixed(publisherCpu.percentOfCore, 0),
      `${sims.stats.failures} / ${backlog}`,
      stateAtEnd,
    ];
  } finally {
    sims.stop();
    await stopChild(orchestrator.child.process);
  }
}

async function main(): Promise<void> {
  const buses = await Promise.all(Array.from({ length: PUBLISH_LANES }, (_, i) => connectTestBus(`bench-ingest-${process.pid}-${i}`)));
  const lanes = buses.map((bus) => new PublishLane(bus));
  try {
    const rows: string[][] = [];
    for (const count of SCALES) rows.push(await measureScale(lanes, count));
    const table = markdownTable(
      ['drivers', 'reports/s asked', 'reports/s published', 'lag p50 ms', 'lag p99 ms', 'lag samples', `unseen after ${DRAIN_MS / 1000} s drain`, 'GET p50 ms', 'orchestrator CPU % of a core', 'orchestrator peak RSS MiB', 'publisher CPU %', 'publish failures / backlog at end', 'test state at end of run'],
      rows,
    );
    printSection(`Orchestrator ingest: simulated drivers, ${REPORTS_PER_DRIVER_PER_SECOND} reports/s each, ${RUN_SECONDS} s per scale`, table, [
      `One bench process publishes every driver's register, heartbeats (1/s) and cumulative reports (HdrHistograms of ${'3,000'} samples, ~2/s) through ${PUBLISH_LANES} KafkaBus producers (each sends what was published while its previous send was out as one batch) into a real orchestrator process (fresh store per scale).`,
      `Lag: from the moment the report is handed to its producer to the first GET /api/tests/{id} response (polled back to back, ${POLL_GAP_MS} ms apart) whose per-driver \`sent\` shows it, for ${WATCHED_DRIVERS} watched drivers; it includes the GET itself.`,
    ]);
  } finally {
    await Promise.all(buses.map((bus) => bus.close()));
    await stopAllChildren();
  }
}

await main();
process.exit(0);
