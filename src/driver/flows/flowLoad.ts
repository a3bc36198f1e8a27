import { driverShare, groupNames, type DriverShare, scenarioPlans, stepNames, type MetricsMessage, type ScenarioPlan, type TestPhase } from '../../protocol/index.js';
import { encodeHistogram } from '../../stats/latencyHistogram.js';
import type { LoadSetup } from '../inThreadLoad.js';
import { clockStartAt, type LoadEngine, type LoadSteer, type PhaseLoad } from '../loadEngine.js';
import { Recorder } from '../recorder.js';
import { namedStats } from '../reporter.js';
import { checkNamesOf, compileFlow, type CompiledStep } from './compiledFlow.js';
import { FlowFigures } from './flowFigures.js';
import type { FlowSession } from './flowSession.js';
import type { Logger } from '../../log/logger.js';
import type { RowsAsker } from '../data/dataChannel.js';
import { RowFeeds } from '../data/rowFeeds.js';

export type CompiledScenario = { plan: ScenarioPlan; steps: CompiledStep[] };

/** What a scenario test's reports carry beyond the spec's and the per-step figures. */
export type FlowReportFields = Pick<MetricsMessage, 'iterations' | 'iteration_histogram' | 'vus' | 'checks' | 'groups_stats' | 'data_used'>;

/**
 * The load of a test with scenarios, on the driver's own event loop: every scenario's executor plan for
 * this driver's share, its flows compiled once, figures per step (the Recorder, by step name), per group,
 * per check and per iteration. Scenario tests have no warm-up.
 */
export class FlowLoad implements LoadEngine {
  readonly loadWorkers = 0;
  private readonly steps: Recorder;
  private readonly figures: FlowFigures;
  private readonly scenarios: CompiledScenario[];
  private readonly origins: string[] = [];
  private session: FlowSession | undefined;
  private readonly feeds: RowFeeds;
  private readonly share: DriverShare;

  /** `askRows` reaches the orchestrator for test data (src/driver/data/); a test with data needs it. */
  constructor(
    private readonly setup: LoadSetup,
    askRows?: RowsAsker,
    log?: Logger,
  ) {
    const scenarios = setup.config.scenarios;
    if (!scenarios) throw new Error('FlowLoad: the test has no scenarios');
    const index = { stepNames: stepNames(scenarios), groupNames: groupNames(scenarios), origins: this.origins };
    const share = (this.share = driverShare(setup.config.driver_ids, setup.nodeId));
    this.scenarios = scenarioPlans(scenarios, share).map((plan) => ({ plan, steps: compileFlow(plan.flow, index) }));
    this.steps = new Recorder(index.stepNames);
    this.figures = new FlowFigures([...new Set(this.scenarios.flatMap((s) => checkNamesOf(s.steps)))], index.groupNames);
    this.feeds = new RowFeeds({ testId: setup.config.test_id, ask: askRows ?? noRowsHere, log });
  }

  /** Every scenario's clock starts once the connections are open. */
  start(phase: TestPhase, startAtEpochMs?: number): PhaseLoad {
    if (phase === 'warmup') throw new Error('FlowLoad.start: a scenario test has no warm-up');
    let stopped = false;
    let running = false;
    const waiting: LoadSteer[] = [];
    let markStart!: (epochMs: number | undefined) => void;
    const clockStart = new Promise<number | undefined>((resolve) => (markStart = resolve));
    const session = () => this.session;
    const finished = import('./flowSession.js').then(async ({ FlowSession }) => {
      const session = (this.session = new FlowSession(this.setup, this.scenarios, this.origins, this.steps, this.figures, this.feeds, this.share));
      await session.connected;
      if (stopped) return markStart(undefined);
      const start = clockStartAt(startAtEpochMs);
      markStart(start.epochMs);
      const run = session.run(start.perfMs);
      running = true;
      for (const change of waiting.splice(0)) session.steer(change);
      await run;
    });
    return {
      finished,
      clockStart,
      stop: () => {
        stopped = true;
        this.session?.stop();
      },
      steer: (change) => {
        if (running) this.session?.steer(change);
        else waiting.push(change);
      },
      get inFlight() {
        return session()?.inFlight ?? 0;
      },
    };
  }

  recorder(phase: TestPhase): Recorder {
    if (phase === 'warmup') throw new Error('FlowLoad.recorder: a scenario test has no warm-up');
    return this.steps;
  }

  flowFields(): FlowReportFields {
    const groups = namedStats(this.figures.groups.perRequestFigures());
    return {
      iterations: this.figures.iterations(),
      iteration_histogram: encodeHistogram(this.figures.iterationDuration),
      vus: this.figures.vus,
      checks: this.figures.checkCounts(),
      ...(groups.length > 0 ? { groups_stats: groups } : {}),
      ...(this.setup.config.data ? { data_used: this.feeds.used() } : {}),
    };
  }

  freeze(): void {
    this.steps.freeze();
    this.figures.freeze();
  }

  close(): Promise<void> {
    return this.session?.close() ?? Promise.resolve();
  }
}

/** Without a channel to the orchestrator (a load run outside a driver node) a data source has no rows. */
const noRowsHere: RowsAsker = (testId, source) => Promise.reject(new Error(`test ${testId}: no channel to the orchestrator for the rows of ${source}`));
