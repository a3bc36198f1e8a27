import { KafkaBus, type Delivery, type KafkaSecurity, type MalformedDelivery, type Subscription } from '../bus/index.js';
import type { Logger } from '../log/logger.js';
import { COMMAND_TOPICS, DRIVER_CAPABILITIES, TOPICS, type ControlMessage, type MetricsMessage, type RegisterMessage, type RequestSpec, type TestConfigMessage } from '../protocol/index.js';
import { MetricsStore } from '../store/metricsStore.js';
import { CommandGuard, type CommandRefusal } from './commandGuard.js';
import { Heartbeat, type DriverActivity } from './heartbeat.js';
import { HeldForConfig } from './heldForConfig.js';
import { unstartedReport, type ReportSink } from './reporter.js';
import { ReportPublisher } from './reportPublisher.js';
import { addressOnRouteTo, isWildcardHost } from './reachableAddress.js';
import { DriverMetrics, type DriverMetricsSnapshot, type DriverTestFigures } from './driverMetrics.js';
import { loadEngineFactory, type LoadEngineFactory, type WorkersSetting } from './loadEngines.js';
import { HostDrivers } from './hostDrivers.js';
import { startStatusServer, type DriverHealth, type StatusServer } from './statusServer.js';
import { REMEMBERED_TESTS, TestBook, type KnownTest } from './testBook.js';
import { TestRun } from './testRun.js';
import { DataChannel } from './data/dataChannel.js';
import { cumulativeBuckets } from '../stats/cumulativeBuckets.js';
import { bucketsOf } from '../stats/latencyHistogram.js';
import { FinishedTestSeries } from '../metrics/finishedTestSeries.js';

export type DriverNodeOptions = {
  nodeId: string;
  brokers: string[];
  /** TLS and SASL for a secured cluster. */
  security?: KafkaSecurity | undefined;
  /** Aborts the wait for an unreachable broker at start-up. */
  signal?: AbortSignal | undefined;
  /** The orchestrator's address: required by the spec on every node, only logged (all traffic goes through Kafka). */
  orchestrator: string;
  storeFile: string;
  /** Target for tests whose config names none. */
  defaultTarget: string | undefined;
  defaultConcurrency: number;
  listen: { host: string; port: number };
  /** PEM of private CAs trusted for https targets (--ca-file), besides the system's. */
  caCertificates?: Buffer | undefined;
  /** Shared secrets: with any, only commands signed by one of them are obeyed; none = spec-only mode. */
  secrets: readonly string[];
  /** Load worker threads per test (--workers); 1 (the default) sends from the driver's own event loop; auto shares the host's cores. */
  workers?: WorkersSetting | undefined;
  log: Logger;
};

/** A trigger or a cancel for a test without config waits this long for the config before it is dropped. */
const WAITS_FOR_CONFIG_MS = 2_000;
/** Cancels waiting for their config, at most: each cancel of a test this driver never saw waits too. */
const EARLY_CANCELS_KEPT = 1_000;
/** A stopping driver gives its outbox this long to empty; what is left is published on its next start. */
const OUTBOX_FLUSH_ON_STOP_MS = 5_000;

/** A driver node: registers, heartbeats, runs one test at a time when triggered, reports, leaves cleanly. */
export class DriverNode {
  readonly nodeId: string;
  private readonly log: Logger;
  private readonly book: TestBook;
  private readonly sink: ReportSink;
  private readonly reports: ReportPublisher;
  private readonly heartbeat: Heartbeat;
  /** Triggers that came before their config, with their start_at. */
  private readonly pendingTriggers = new HeldForConfig<{ startAt: number | undefined }>(WAITS_FOR_CONFIG_MS);
  /** Cancels that came before their test's config, with their reason. */
  private readonly earlyCancels = new HeldForConfig<string>(WAITS_FOR_CONFIG_MS, EARLY_CANCELS_KEPT);
  /** Figures of the tests this process ran, kept for /metrics until their series leave it (finishedTestSeries.ts). */
  private readonly finishedTests = new FinishedTestSeries<DriverTestFigures>();
  private readonly metrics: DriverMetrics;
  private readonly guard: CommandGuard | undefined;
  private readonly commandsRefused: Partial<Record<CommandRefusal, number>> = {};
  private subscription: Subscription | undefined;
  private dataSubscription: Subscription | undefined;
  private readonly data: DataChannel;
  private current: TestRun | undefined;
  /** The newest test config this driver accepted. */
  private lastConfigId: string | undefined;
  private stopping: Promise<void> | undefined;
  private status: StatusServer | undefined;
  private publishedAddress = '';

  private constructor(
    private readonly options: DriverNodeOptions,
    private readonly bus: KafkaBus,
    private readonly store: MetricsStore,
    private readonly engines: LoadEngineFactory,
    private readonly hostDrivers: HostDrivers,
  ) {
    this.nodeId = options.nodeId;
    this.log = options.log;
    this.book = new TestBook(options.nodeId, options.defaultTarget);
    this.guard = options.secrets.length > 0 ? new CommandGuard(options.secrets) : undefined;
    this.reports = new ReportPublisher({
      outbox: store.outbox,
      publish: (wire) => this.bus.publishRaw(TOPICS.metrics, wire, this.nodeId),
      log: this.log,
    });
    this.sink = { submit: (message) => this.reports.submit(message) };
    this.heartbeat = new Heartbeat({
      nodeId: this.nodeId,
      publish: (message) => this.bus.publish(TOPICS.heartbeat, message, this.nodeId),
      activity: () => ({ ...this.activity(), configAck: this.configAwaitingTrigger() }),
      log: this.log,
    });
    this.metrics = new DriverMetrics(this.nodeId, () => this.metricsSnapshot());
    this.data = new DataChannel(this.nodeId, (message) => this.bus.publish(TOPICS.dataRequests, message, this.nodeId), this.log);
  }

  /** Connects to Kafka first: without it there is nothing to do, and the caller reports it as unreachable. */
  static async start(options: DriverNodeOptions): Promise<DriverNode> {
    const bus = await KafkaBus.connect({ brokers: options.brokers, security: options.security, signal: options.signal, clientId: options.nodeId, log: options.log });
    const hostDrivers = new HostDrivers();
    let store: MetricsStore | undefined;
    try {
      store = MetricsStore.open(options.storeFile);
      // Every driver counts for the others' --workers auto, whatever its own setting.
      hostDrivers.join();
      const node = new DriverNode(options, bus, store, await loadEngineFactory(options.workers, { prime: true, hostDrivers }), hostDrivers);
      await node.open();
      return node;
    } catch (error) {
      hostDrivers.leave();
      store?.close();
      await bus.close();
      throw error;
    }
  }

  /** The node_IP published on registration: where /health and /metrics answer, at an address other hosts can use. */
  get address(): string {
    return this.publishedAddress;
  }

  /** Aborts a running test (final report `aborted`), deregisters and closes everything. Idempotent. */
  stop(reason: string): Promise<void> {
    this.stopping ??= this.shutdown(reason);
    return this.stopping;
  }

  private async open(): Promise<void> {
    const { listen } = this.options;
    if (!this.guard) this.log.warn({ topics: COMMAND_TOPICS }, 'no command secret (--secret-file / STAMPEDE_SECRET): obeying unsigned commands from anyone who can write to Kafka');
    this.status = await startStatusServer(listen.host, listen.port, { health: () => this.health(), metrics: this.metrics });
    this.publishedAddress = isWildcardHost(listen.host) ? hostAndPort(await addressOnRouteTo(this.options.brokers[0]!), this.status.port) : this.status.address;
    try {
      // Subscribing before registering: an orchestrator may configure and trigger a test as soon as it sees us.
      this.subscription = await this.bus.subscribe({
        topics: [TOPICS.testConfig, TOPICS.trigger, TOPICS.control],
        onMessage: (delivery) => this.onMessage(delivery),
        onMalformed: (malformed) => this.onMalformedCommand(malformed),
      });
      // Rows for every driver pass by on one topic; only ours are decoded.
      this.dataSubscription = await this.bus.subscribe({
        topics: [TOPICS.dataRows],
        acceptKey: (key) => key === this.nodeId,
        onMessage: (delivery) => {
          if (this.admits(delivery)) this.data.onRows(delivery.message);
        },
      });
      await this.publishRegistration('DRIVER_NODE_REGISTER');
      this.heartbeat.start();
      this.publishLeftoverReports();
    } catch (error) {
      await this.subscription?.close();
      await this.dataSubscription?.close();
      await this.status.close();
      throw error;
    }
    this.log.info({ node_ip: this.address, orchestrator: this.options.orchestrator, store: this.options.storeFile }, 'driver registered');
  }

  /** Reports an earlier run of this driver stored but the broker never acknowledged (Kafka was away, the process died). */
  private publishLeftoverReports(): void {
    const pending = this.reports.pendingCount();
    if (pending === 0) return;
    this.log.info({ pending }, 'publishing reports an earlier run left unacknowledged');
    this.reports.flush();
  }

  private onMessage(delivery: Delivery<'test_config' | 'trigger' | 'control'>): void {
    if (!this.admits(delivery)) return;
    if (delivery.topic === 'test_config') this.onTestConfig(delivery.message);
    else if (delivery.topic === 'trigger') this.onTrigger(delivery.message.test_id, delivery.message.start_at);
    else this.onControl(delivery.message);
  }

  /**
   * A config addressed to this driver that breaks the schema (a bad `requests` entry…) must not leave the
   * orchestrator waiting: its trigger is answered with a rejection that names the field.
   */
  private onMalformedCommand(malformed: MalformedDelivery<'test_config' | 'trigger' | 'control'>): void {
    const { topic, raw, error } = malformed;
    if (topic !== 'test_config') return;
    const testId = typeof raw.test_id === 'string' ? raw.test_id.trim() : '';
    if (testId === '' || testId.length > 200) return;
    if (Array.isArray(raw.driver_ids) && !raw.driver_ids.includes(this.nodeId)) return;
    if (this.guard && !this.guard.check(topic, raw).ok) return;
    const reason = `invalid test_config: ${error.field}: ${error.reason}`;
    this.book.refuse(testId, reason);
    this.log.warn({ test_id: testId, reason }, 'test config refused');
    const held = this.pendingTriggers.take(testId);
    if (held) this.onTrigger(testId, held.startAt);
  }

  /** Verified on receipt, before anything else looks at the command. */
  private admits(delivery: Delivery<'test_config' | 'trigger' | 'control' | 'data_rows'>): boolean {
    const verdict = this.guard?.check(delivery.topic, delivery.raw) ?? { ok: true };
    if (verdict.ok) return true;
    this.commandsRefused[verdict.reason] = (this.commandsRefused[verdict.reason] ?? 0) + 1;
    const testId = 'test_id' in delivery.message ? delivery.message.test_id : undefined;
    this.log.warn(
      { topic: delivery.topic, partition: delivery.partition, offset: delivery.offset.toString(), test_id: testId, reason: verdict.reason, detail: verdict.detail },
      'unverified command refused',
    );
    return false;
  }

  private onTestConfig(config: TestConfigMessage): void {
    const verdict = this.book.add(config);
    const context = { test_id: config.test_id };
    const earlyCancel = this.earlyCancels.take(config.test_id);
    if (verdict.kind === 'not_for_me') {
      this.log.debug({ ...context, driver_ids: config.driver_ids }, 'test config for other drivers ignored');
      return;
    }
    if (verdict.kind === 'duplicate') {
      this.log.debug({ ...context, state: verdict.test.state }, 'repeated test config ignored');
      return;
    }
    if (this.keepEvent(config.test_id, 'test_config', config, `test_config:${config.test_id}`)) {
      this.logAccepted(verdict.test);
      if (earlyCancel !== undefined) this.cancelUnstarted(verdict.test, earlyCancel);
      this.lastConfigId = config.test_id;
      // Acknowledged at once: the orchestrator holds the trigger until every driver of the test has.
      this.heartbeat.now();
    } else {
      // Stored by an earlier run of this driver: a replay within the signature window must not run it again.
      verdict.test.state = 'finished';
      this.log.warn(context, 'test config received before this driver restarted ignored');
    }
    const held = this.pendingTriggers.take(config.test_id);
    if (held) this.runIfPossible(verdict.test, held.startAt);
  }

  private logAccepted(test: KnownTest): void {
    const { config, requests } = test;
    const context = { test_id: config.test_id };
    if (requests === undefined) this.log.warn({ ...context, reason: noTargetReason() }, 'test config accepted but cannot run');
    else this.log.info({ ...context, test_type: config.test_type, count: config.message_count_per_driver, requests: requests.map((r) => `${r.method} ${r.url}`) }, 'test config accepted');
  }

  /** `startAt`: the trigger's start_at, the instant every driver of the test starts its schedule. */
  private onTrigger(testId: string, startAt?: number): void {
    const test = this.book.get(testId);
    if (test) {
      this.runIfPossible(test, startAt);
      return;
    }
    const refusal = this.book.refusal(testId);
    if (refusal !== undefined) {
      this.log.warn({ test_id: testId, reason: refusal }, 'trigger rejected');
      this.sink.submit(unstartedReport(this.nodeId, testId, { outcome: 'rejected', reason: refusal }));
      return;
    }
    if (this.book.isForOthers(testId)) {
      this.log.debug({ test_id: testId }, 'trigger for a test of other drivers ignored');
      return;
    }
    const expire = (): void => {
      this.log.warn({ test_id: testId, waited_ms: WAITS_FOR_CONFIG_MS }, 'trigger for an unknown test ignored (no test config for this driver)');
    };
    if (!this.pendingTriggers.hold(testId, { startAt }, expire)) this.log.warn({ test_id: testId }, 'repeated trigger for a test without config ignored');
  }

  private runIfPossible(test: KnownTest, startAt?: number): void {
    const context = { test_id: test.config.test_id };
    if (test.state === 'cancelled') {
      this.log.debug(context, 'trigger for a cancelled test ignored');
      return;
    }
    if (test.state !== 'ready') {
      this.log.warn({ ...context, state: test.state }, 'repeated trigger ignored');
      return;
    }
    const requests = test.requests;
    const refusal = this.busyReason() ?? (requests === undefined ? noTargetReason() : undefined);
    if (requests === undefined || refusal !== undefined) {
      this.reject(test, refusal ?? noTargetReason());
      return;
    }
    this.startRun(test, requests, startAt);
  }

  /** Tells the orchestrator at once, so it need not wait for this driver. */
  private reject(test: KnownTest, reason: string): void {
    test.state = 'rejected';
    this.log.warn({ test_id: test.config.test_id, reason }, 'trigger rejected');
    this.sink.submit(unstartedReport(this.nodeId, test.config.test_id, { outcome: 'rejected', reason }));
  }

  private busyReason(): string | undefined {
    if (this.stopping) return 'the driver is shutting down';
    if (this.current) return `the driver is busy running test ${this.current.testId}`;
    return undefined;
  }

  private startRun(test: KnownTest, requests: RequestSpec[], startAt: number | undefined): void {
    test.state = 'running';
    const run = new TestRun({
      nodeId: this.nodeId,
      config: test.config,
      requests,
      caCertificates: this.options.caCertificates,
      defaultConcurrency: this.options.defaultConcurrency,
      engines: this.engines,
      sink: this.sink,
      log: this.log,
      askRows: this.data.ask,
      startAtEpochMs: startAt,
    });
    this.current = run;
    this.heartbeat.now();
    run.done.then(
      (report) => this.onRunDone(test, run, report),
      (error: unknown) => {
        this.log.error({ err: error, test_id: run.testId }, 'test run failed');
        this.onRunDone(test, run, undefined);
      },
    );
  }

  private onRunDone(test: KnownTest, run: TestRun, report: MetricsMessage | undefined): void {
    test.state = report?.outcome === 'cancelled' ? 'cancelled' : 'finished';
    this.data.closeTest(run.testId);
    this.finishedTests.add(testFigures(run));
    if (this.current === run) this.current = undefined;
    this.heartbeat.now();
    this.boundStore();
  }

  /** A driver that runs for a year keeps in its store the tests its book remembers, not every test it ran. */
  private boundStore(): void {
    try {
      this.store.keepNewestTests(REMEMBERED_TESTS);
    } catch (error) {
      this.log.error({ err: error }, 'trimming the driver store failed; it is tried again after the next test');
    }
  }

  private onControl(message: ControlMessage): void {
    if (message.message_type === 'REGISTER_REQUEST') {
      this.log.info('registration requested; registering again');
      void this.publishRegistration('DRIVER_NODE_REGISTER').catch((error: unknown) => this.log.warn({ err: error }, 'registering again failed'));
      return;
    }
    if (message.message_type === 'STEER_TEST') {
      const run = this.current;
      if (run && run.testId === message.test_id) run.steer(message);
      else this.log.debug({ test_id: message.test_id }, 'steering for a test not running here ignored');
      return;
    }
    this.cancel(message.test_id, message.reason);
  }

  private cancel(testId: string | undefined, reason: string | undefined): void {
    if (testId === undefined) {
      this.log.warn('CANCEL_TEST without test_id ignored');
      return;
    }
    const why = reason ?? 'cancelled by the orchestrator';
    if (this.current?.testId === testId) {
      // The orchestrator repeats CANCEL_TEST until our final report is in: only the first one is news.
      if (this.current.stopping) this.log.debug({ test_id: testId }, 'repeated cancel for a test already stopping');
      else this.log.info({ test_id: testId, reason: why }, 'cancelling the running test');
      this.current.cancel(why);
      return;
    }
    const test = this.book.get(testId);
    if (test?.state === 'ready') this.cancelUnstarted(test, why);
    else if (test === undefined && this.book.refusal(testId) === undefined && !this.book.isForOthers(testId)) this.keepEarlyCancel(testId, why);
    else this.log.debug({ test_id: testId, state: test?.state }, 'cancel for a test not running here ignored');
  }

  /**
   * CANCEL_TEST travels apart from the trigger and the config, so it can arrive before either; the
   * orchestrator then waits for our final report, and the trigger that follows must start nothing.
   */
  private cancelUnstarted(test: KnownTest, reason: string): void {
    test.state = 'cancelled';
    this.log.info({ test_id: test.config.test_id, reason }, 'test cancelled before its trigger');
    this.sink.submit(unstartedReport(this.nodeId, test.config.test_id, { outcome: 'cancelled', reason }));
  }

  /** Kept until the config comes (the test may be ours) or WAITS_FOR_CONFIG_MS pass. */
  private keepEarlyCancel(testId: string, reason: string): void {
    if (this.earlyCancels.hold(testId, reason)) this.log.debug({ test_id: testId }, 'cancel for a test without config kept for its config');
  }

  private async shutdown(reason: string): Promise<void> {
    this.log.info({ reason }, 'driver stopping');
    this.pendingTriggers.clear();
    this.earlyCancels.clear();
    const run = this.current;
    run?.abort(reason);
    await Promise.all([this.finalReportsOut(run), this.subscription?.close(), this.dataSubscription?.close()]);
    // Side by side: with Kafka away each waits out the bus's 6 s send window, and one after the other
    // (a beat sent while the deregistration waited) kept a stopping driver 11 s instead of about 7.
    await Promise.all([
      this.publishRegistration('DRIVER_NODE_DEREGISTER').catch((error: unknown) => this.log.warn({ err: error }, 'deregistering failed')),
      this.heartbeat.stop(),
    ]);
    await this.bus.close();
    await this.status?.close();
    this.store.close();
    this.hostDrivers.leave();
    this.log.info('driver stopped');
  }

  /** The final report of an aborted run is in the outbox once the run is done; then the outbox gets a bounded chance to empty. */
  private async finalReportsOut(run: TestRun | undefined): Promise<void> {
    await run?.done.catch(() => undefined);
    const left = await this.reports.stop(OUTBOX_FLUSH_ON_STOP_MS);
    if (left > 0) this.log.warn({ pending: left, store: this.options.storeFile }, 'reports not acknowledged by Kafka stay in the store; published on the next start');
  }

  private publishRegistration(messageType: RegisterMessage['message_type']): Promise<void> {
    const message: RegisterMessage = { node_id: this.nodeId, node_IP: this.address, message_type: messageType, timestamp: new Date().toISOString(), capabilities: [...DRIVER_CAPABILITIES] };
    return this.bus.publish(TOPICS.register, message, this.nodeId);
  }

  /** The test whose config this driver holds, not yet triggered (nor cancelled): what its heartbeats acknowledge. */
  private configAwaitingTrigger(): string | undefined {
    const id = this.lastConfigId;
    return id !== undefined && this.book.get(id)?.state === 'ready' ? id : undefined;
  }

  private activity(): DriverActivity {
    return this.current ? { state: 'running', testId: this.current.testId } : { state: 'idle', testId: null };
  }

  private health(): DriverHealth {
    return { nodeId: this.nodeId, ...this.activity(), reportsPending: this.reports.pendingCount() };
  }

  private metricsSnapshot(): DriverMetricsSnapshot {
    const finished = this.finishedTests.shown();
    const tests = this.current ? [...finished, testFigures(this.current)] : finished;
    return { running: this.current !== undefined, reportsPending: this.reports.pendingCount(), commandsRefused: { ...this.commandsRefused }, tests };
  }

  /** False only when the store already holds an event with this key; a store failure is logged, not fatal. */
  private keepEvent(testId: string, type: string, payload: unknown, dedupeKey: string): boolean {
    try {
      return this.store.append({ testId, type, payload, dedupeKey }) !== null;
    } catch (error) {
      this.log.error({ err: error, test_id: testId, type }, 'writing to the driver store failed');
      return true;
    }
  }
}

/** A run's cumulative figures (merged over its load workers), its latency bucketed for Prometheus. */
function testFigures(run: TestRun): DriverTestFigures {
  const { recorder } = run;
  const { sent, completed, errors } = recorder.counts();
  return { testId: run.testId, sent, completed, errors, latency: cumulativeBuckets([bucketsOf(recorder.latency)]) };
}

function noTargetReason(): string {
  return 'no target URL: the test config has no target_url and the driver was started without --target';
}

function hostAndPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
