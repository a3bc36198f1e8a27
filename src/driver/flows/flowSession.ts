import { HttpClient } from '../http1/httpClient.js';
import type { LoadSetup } from '../inThreadLoad.js';
import type { Recorder } from '../recorder.js';
import { RequestSequence } from '../requests/requestIterator.js';
import type { CompiledScenario } from './flowLoad.js';
import type { FlowFigures } from './flowFigures.js';
import type { FlowContext } from './iteration.js';
import type { RowFeeds } from '../data/rowFeeds.js';
import { startScenario, type ScenarioRun } from './scenarioRun.js';
import type { LoadSteer } from '../loadEngine.js';
import type { DriverShare } from '../../protocol/index.js';

/**
 * The sending side of a scenario test, loaded only when one runs (it brings the HTTP client and the cookie
 * jars): one connection pool per origin shared by every VU (a VU is not a socket), opened before the
 * clock starts, and one run per scenario.
 */
export class FlowSession {
  private readonly client: HttpClient;
  private readonly context: FlowContext;
  private runs: ScenarioRun[] = [];
  readonly connected: Promise<void>;

  constructor(
    setup: LoadSetup,
    private readonly scenarios: readonly CompiledScenario[],
    origins: readonly string[],
    steps: Recorder,
    figures: FlowFigures,
    private readonly feeds: RowFeeds,
    /** This driver's place among the test's drivers: a scenario's total rate or VUs is split by it. */
    private readonly share: DriverShare,
  ) {
    // Each VU has at most one request on the wire: the scenarios' VUs bound the connections.
    const connections = Math.max(1, scenarios.reduce((sum, s) => sum + s.plan.maxVus, 0));
    this.client = new HttpClient(origins, { connections, timeoutMs: setup.timeoutMs, tls: setup.tls });
    this.context = { client: this.client, origins, steps, figures, sequence: new RequestSequence(), driverId: setup.nodeId, testId: setup.config.test_id, inFlight: { count: 0 } };
    // The clock starts with connections open and every data source's first rows at hand.
    for (const { plan } of scenarios) if (plan.data) feeds.feedFor(plan.data);
    this.connected = Promise.all([this.client.preconnect(), feeds.ready()]).then(() => undefined);
  }

  /** Starts every scenario's plan from `startMs` (performance clock); resolves when all are over. */
  run(startMs: number): Promise<void> {
    this.runs = this.scenarios.map(({ plan, steps }) => startScenario(plan, { steps, feed: plan.data && this.feeds.feedFor(plan.data) }, this.context, startMs, this.share));
    return Promise.all(this.runs.map((run) => run.finished)).then(() => undefined);
  }

  stop(): void {
    for (const run of this.runs) run.stop();
  }

  /** A pause holds every scenario; a rate or VUs, the scenario it names. */
  steer(change: LoadSteer): void {
    this.runs.forEach((run, index) => {
      const own = change.scenarios?.[this.scenarios[index]!.plan.name];
      if (own || change.paused !== undefined) run.steer({ atMs: change.atMs, paused: change.paused, ...own });
    });
  }

  get inFlight(): number {
    return this.context.inFlight.count;
  }

  close(): Promise<void> {
    return this.client.destroy();
  }
}
