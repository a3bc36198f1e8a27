import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import type { Delivery, KafkaBus, Subscription } from '../bus/index.js';
import { savedOffsets, saveHandledOffset } from './kafkaOffsets.js';
import type { Logger } from '../log/logger.js';
import { newTestId, TOPICS, type HeartbeatMessage, type MetricsMessage, type SteeringChange, type TestConfigMessage } from '../protocol/index.js';
import { randomUUID } from 'node:crypto';
import { steeringProblems, steerLeadMs, type SteeringProblem } from './steering.js';
import type { FindCapacity } from '../api/capacity.js';
import type { MetricsStore } from '../store/metricsStore.js';
import { DriverRegistry, LOST_AFTER_MS, mayJudgeSilence, TEST_FAILS_AFTER_SILENT_MS, type StatusChange } from './driverRegistry.js';
import type { TestEvent } from './testEvents.js';
import { PlanLog } from './planLog.js';
import { TestLog } from './testLog.js';
import { driversStillRunning, isFinished, type TestProjection } from './testProjection.js';
import { superviseTest } from './testSupervisor.js';
import { startLeadMs } from './startLead.js';
import { ConfigAcks } from './configAcks.js';
import { clockWarning } from '../api/lateStartWarning.js';
import { busyDrivers, describeBusy, type BusyDrivers } from './busyDrivers.js';
import { cancelDue, driversStillLoading, testsStillLoaded } from './testStopping.js';

/**
 * A running test fails when a driver sends no report for this long. After a broker outage it counts
 * from when this orchestrator hears Kafka again, and must cover the drivers emptying their outboxes:
 * each retries at most KAFKA_RETRY_BACKOFF.maxDelayMs (5 s) after the broker is back.
 */
export const SILENT_AFTER_MS = 15_000;
const SWEEP_INTERVAL_MS = 250;
/** The longest a trigger waits for the drivers to acknowledge the config (they do within a heartbeat's round trip). */
const CONFIG_ACK_WAIT_MS = 2_000;

export type NewTest = Omit<TestConfigMessage, 'test_id' | 'driver_ids' | 'created_at'>;

/** A change a running test cannot take (a field out of bounds for it): the REST layer answers 400 naming each. */
export class SteeringError extends Error {
  override readonly name = 'SteeringError';
  constructor(readonly problems: SteeringProblem[]) {
    super(problems.map((p) => `${p.field}: ${p.message}`).join('; '));
  }
}

/** A request the current state forbids (unknown test, wrong state, not enough drivers): the REST layer maps `code`. */
export class ControlError extends Error {
  override readonly name = 'ControlError';
  constructor(
    readonly code: 'not_found' | 'conflict',
    message: string,
    /** The request field the conflict is about, when there is one. */
    readonly field?: string,
  ) {
    super(message);
  }
}

export type ControllerEvents = { test: [TestProjection, TestEvent]; drivers: [] };

/** What the orchestrator hears from Kafka: a frozen feed must not pass for a quiet one. */
export type KafkaStatus = { last_kafka_message_at: string | null; kafka_readable: boolean };

/**
 * The orchestrator's runtime controller: consumes register, heartbeat and metrics; keeps the driver
 * registry and the test log; publishes test_config, trigger and control; supervises running tests.
 */
export class RuntimeController extends EventEmitter<ControllerEvents> {
  readonly drivers = new DriverRegistry();
  readonly tests: TestLog;
  /** Plans, kept in the same event log as the tests (their runner is planRunner.ts). */
  readonly plans: PlanLog;
  readonly startedAtMs = Date.now();
  readonly counters = { reports_received: 0, reports_duplicate: 0, reports_unknown_test: 0 };
  #subscriptions: Subscription[] = [];
  #sweepTimer: NodeJS.Timeout | undefined;
  #crowdSilenceReported = false;
  #lastMessageAtMs: number | undefined;
  /** When this orchestrator first read Kafka: a later start of reading is a return after a failover. */
  #firstHearingSinceMs: number | undefined;
  /** How long each test's config took to publish (acknowledged by Kafka): the trigger's delivery, estimated. */
  readonly #configDeliveryMs = new Map<string, number>();
  readonly #configAcks = new ConfigAcks();
  /** Each driver's priming time as its latest report said: how far ahead the next start must lie. */
  readonly #primingMs = new Map<string, number>();
  /** The slowest control publish lately (ms): how far ahead a change of a running test is applied. */
  #controlPublishMs = 0;
  /** When CANCEL_TEST last went out, per ended test some driver still runs. */
  readonly #cancelSentAt = new Map<string, number>();

  constructor(
    private readonly bus: KafkaBus,
    private readonly store: MetricsStore,
    private readonly log: Logger,
  ) {
    super();
    this.tests = new TestLog(store);
    this.plans = new PlanLog(store);
    this.tests.onChange((test, event) => this.emit('test', test, event));
  }

  async start(): Promise<void> {
    const replaying = performance.now();
    const tests = this.tests.replay();
    const plans = this.plans.replay();
    this.log.info({ tests: tests.tests, tests_folded: tests.folded, plans, ms: Math.round(performance.now() - replaying) }, 'replayed the event log: tests not finished in full, the rest as summaries');
    this.#subscriptions = await Promise.all([
      this.bus.subscribe({ topics: [TOPICS.register, TOPICS.heartbeat], onMessage: (d) => this.onPresence(d) }),
      this.bus.subscribe({ topics: [TOPICS.metrics], onMessage: (d) => this.onMetrics(d), resumeFrom: savedOffsets(this.store, TOPICS.metrics) }),
    ]);
    this.#sweepTimer = setInterval(() => this.sweep(), SWEEP_INTERVAL_MS);
    await this.bus.publish(TOPICS.control, { message_type: 'REGISTER_REQUEST', reason: 'orchestrator started' });
  }

  async stop(): Promise<void> {
    clearInterval(this.#sweepTimer);
    await Promise.all(this.#subscriptions.map((s) => s.close()));
    this.#subscriptions = [];
  }

  /**
   * `dataRows`: each data source's row count, kept with the test (its figures say how many are left);
   * `findCapacity`: the capacity search that steers it (capacityRunner.ts), kept with it, not sent to drivers.
   */
  async createTest(request: NewTest, driverIds: string[], dataRows?: Record<string, number>, findCapacity?: FindCapacity): Promise<TestProjection> {
    // max_duration_s travels in the config too: a driver stops by itself even if it never hears us again.
    const config: TestConfigMessage = { ...request, test_id: newTestId(), driver_ids: driverIds, created_at: new Date().toISOString() };
    const publishing = performance.now();
    await this.bus.publish(TOPICS.testConfig, config, config.test_id);
    this.#configDeliveryMs.set(config.test_id, performance.now() - publishing);
    this.tests.append(config.test_id, { type: 'test_created', at: config.created_at!, config, driver_ids: driverIds, max_duration_s: request.max_duration_s, ...(dataRows ? { data_rows: dataRows } : {}), ...(findCapacity ? { find_capacity: findCapacity } : {}) });
    this.log.info({ test_id: config.test_id, test_type: config.test_type, drivers: driverIds }, 'test created');
    return this.mustGet(config.test_id);
  }

  async triggerTest(testId: string): Promise<TestProjection> {
    const { unacknowledged, ackWaitMs } = await this.waitForConfigAcks(this.mustGet(testId));
    const test = this.mustGet(testId);
    if (test.state !== 'created') throw new ControlError('conflict', `test ${testId} is ${test.state}; only a created test can be triggered`);
    const unavailable = test.driver_ids.filter((id) => this.drivers.get(id)?.status !== 'alive');
    if (unavailable.length > 0) throw new ControlError('conflict', `drivers not alive: ${unavailable.join(', ')}`);
    const busy = this.busyDrivers();
    const taken = test.driver_ids.filter((id) => busy.has(id));
    if (taken.length > 0) throw new ControlError('conflict', `drivers busy with another test: ${describeBusy(taken, busy)}`, 'drivers');
    // Every driver starts its schedule at one instant, on its own clock; a spec-only driver starts on the trigger.
    const leadMs = startLeadMs(this.#configDeliveryMs.get(testId) ?? 0, test.driver_ids.map((id) => this.#primingMs.get(id)));
    const startAt = leadMs === undefined ? undefined : Date.now() + leadMs;
    this.#configDeliveryMs.delete(testId);
    const clockOffsets = this.clockOffsets(test.driver_ids);
    this.#configAcks.forget(testId);
    if (unacknowledged.length > 0) this.log.warn({ test_id: testId, drivers: unacknowledged, waited_ms: ackWaitMs }, 'triggering without every driver acknowledging the config');
    this.tests.append(testId, { type: 'test_triggered', at: new Date().toISOString(), start_at: startAt, clock_offsets_ms: clockOffsets, config_ack_wait_ms: ackWaitMs, ...(unacknowledged.length > 0 ? { unacknowledged } : {}) });
    try {
      await this.bus.publish(TOPICS.trigger, { test_id: testId, trigger: 'YES', start_at: startAt }, testId);
    } catch (error) {
      this.finish(testId, 'failed', `could not publish the trigger: ${(error as Error).message}`);
      throw error;
    }
    this.log.info({ test_id: testId, start_at: startAt === undefined ? undefined : new Date(startAt).toISOString() }, 'test triggered');
    return test;
  }

  /**
   * Until every driver of a created test that speaks `config_ack` has acknowledged its config (at most
   * CONFIG_ACK_WAIT_MS); a test in any other state is refused by the trigger at once, without waiting.
   */
  private async waitForConfigAcks(test: TestProjection): Promise<{ unacknowledged: string[]; ackWaitMs: number }> {
    if (test.state !== 'created') return { unacknowledged: [], ackWaitMs: 0 };
    const acking = test.driver_ids.filter((id) => this.drivers.get(id)?.capabilities.includes('config_ack'));
    const waitStarted = performance.now();
    const unacknowledged = await this.#configAcks.waitFor(test.test_id, acking, CONFIG_ACK_WAIT_MS);
    return { unacknowledged, ackWaitMs: Math.round(performance.now() - waitStarted) };
  }

  /**
   * Changes a running test on every driver at one instant: written to its event log first (so a restart
   * replays it), then published as a signed STEER_TEST with `apply_at` a little ahead (and not before
   * `notBeforeMs`, epoch ms: a capacity search schedules a step's end when it starts it).
   */
  async steerTest(testId: string, change: SteeringChange, notBeforeMs = 0): Promise<TestProjection> {
    const test = this.mustGet(testId);
    if (test.state !== 'running') throw new ControlError('conflict', `test ${testId} is ${test.state}; only a running test can be steered`);
    const problems = steeringProblems(test.config, change);
    if (problems.length > 0) throw new SteeringError(problems);
    const changeId = randomUUID();
    const applyAt = Math.max(Date.now() + steerLeadMs(this.#controlPublishMs), test.start_at ?? 0, notBeforeMs);
    this.tests.append(testId, { type: 'test_steered', at: new Date().toISOString(), change_id: changeId, apply_at: applyAt, change });
    const publishing = performance.now();
    await this.bus.publish(TOPICS.control, { message_type: 'STEER_TEST', test_id: testId, change_id: changeId, apply_at: applyAt, ...change }, testId);
    const publishMs = performance.now() - publishing;
    // The lead follows what publishing costs now, and forgets a slow moment over a few changes.
    this.#controlPublishMs = Math.max(publishMs, this.#controlPublishMs * 0.5);
    this.log.info({ test_id: testId, change_id: changeId, ...change, apply_at: new Date(applyAt).toISOString(), late_ms: Math.max(0, Math.round(Date.now() - applyAt)) || undefined }, 'test steered');
    return test;
  }

  /**
   * The drivers' clock offsets now; each one visibly off is named in a warning: a shared start is an
   * instant on each driver's own clock.
   */
  private clockOffsets(driverIds: readonly string[]): Record<string, number> {
    const offsets: Record<string, number> = {};
    for (const id of driverIds) {
      const driver = this.drivers.get(id);
      if (!driver || driver.clock_offset_ms === null) continue;
      offsets[id] = driver.clock_offset_ms;
      const warning = clockWarning(driver);
      if (warning) this.log.warn({ node_id: id, clock_offset_ms: driver.clock_offset_ms }, warning);
    }
    return offsets;
  }

  /** Drivers busy with a test (this orchestrator's running ones, or what their heartbeats say): a new test cannot have them. */
  busyDrivers(): BusyDrivers {
    return busyDrivers(this.drivers.list(), this.tests.unfinished(), (id) => this.tests.get(id));
  }

  async cancelTest(testId: string, reason = 'cancelled by request'): Promise<TestProjection> {
    const test = this.mustGet(testId);
    if (isFinished(test)) return this.stopDriversOfFinished(test, reason);
    this.tests.append(testId, { type: 'cancel_requested', at: new Date().toISOString(), reason });
    if (test.state === 'created') {
      this.finish(testId, 'cancelled', reason);
      return test;
    }
    await this.publishCancel(testId, reason);
    // The test turns cancelled once every driver's final report is in, so its figures are final then;
    // supervision still ends it if a driver dies instead of answering.
    this.superviseOne(test, Date.now());
    return test;
  }

  /** Forgets a driver that left or was lost, so the list shows only the ones still of interest. */
  removeDriver(nodeId: string): void {
    const outcome = this.drivers.remove(nodeId);
    if (outcome === 'unknown') throw new ControlError('not_found', `no driver with id ${nodeId}`);
    if (outcome === 'alive') throw new ControlError('conflict', `driver ${nodeId} is alive; only a driver that left or was lost can be removed`);
    this.log.info({ node_id: nodeId }, 'driver removed from the list');
    this.emit('drivers');
  }

  kafkaStatus(): KafkaStatus {
    return {
      last_kafka_message_at: this.#lastMessageAtMs === undefined ? null : new Date(this.#lastMessageAtMs).toISOString(),
      kafka_readable: this.bus.deliveringSince() !== undefined,
    };
  }

  private heardFromKafka(nowMs: number): void {
    this.#lastMessageAtMs = nowMs;
  }

  /** A finished test keeps its verdict; cancelling it only tells drivers still running it to stop. */
  private async stopDriversOfFinished(test: TestProjection, reason: string): Promise<TestProjection> {
    const loading = driversStillLoading(test, (id) => this.drivers.get(id));
    if (loading.length === 0) throw new ControlError('conflict', `test ${test.test_id} is already ${test.state} and no driver still runs it`);
    await this.publishCancel(test.test_id, reason);
    this.log.info({ test_id: test.test_id, drivers: loading }, 'cancel of a finished test sent to drivers still running it');
    return test;
  }

  private async publishCancel(testId: string, reason: string): Promise<void> {
    this.#cancelSentAt.set(testId, Date.now());
    await this.bus.publish(TOPICS.control, { message_type: 'CANCEL_TEST', test_id: testId, reason }, testId);
  }

  /**
   * Until each driver has sent its final report or is lost, an ended test's CANCEL_TEST goes out again
   * every CANCEL_REPEAT_MS: a driver that missed it (it started late, or its consumer was restarting)
   * must not load the target for a test that is over.
   */
  private repeatCancels(nowMs: number): void {
    const loaded = testsStillLoaded(this.drivers.list(), (id) => this.tests.get(id));
    for (const testId of this.#cancelSentAt.keys()) if (!loaded.has(testId)) this.#cancelSentAt.delete(testId);
    for (const [testId, nodeIds] of loaded) {
      if (!cancelDue(this.#cancelSentAt.get(testId), nowMs)) continue;
      this.log.debug({ test_id: testId, drivers: nodeIds }, 'drivers still run an ended test; CANCEL_TEST again');
      this.sendCancelInBackground(testId, this.tests.get(testId)?.reason ?? 'the test has ended');
    }
  }

  private sendCancelInBackground(testId: string, reason: string): void {
    this.publishCancel(testId, reason).catch((error: unknown) => this.log.warn({ err: error, test_id: testId }, 'publishing CANCEL_TEST failed; it is repeated'));
  }

  mustGet(testId: string): TestProjection {
    const test = this.tests.get(testId);
    if (!test) throw new ControlError('not_found', this.notFound('test', testId));
    return test;
  }

  /** Whether the test is known, without folding it from the store (its events are read on their own). */
  mustExist(testId: string): void {
    if (!this.tests.has(testId)) throw new ControlError('not_found', this.notFound('test', testId));
  }

  /** "no test with id …", or why it is gone when retention removed it. */
  notFound(kind: 'test' | 'plan', id: string): string {
    const removal = this.store.removalNote(id);
    return removal ? `${kind} ${id} was ${removal}` : `no ${kind} with id ${id}`;
  }

  private onPresence(delivery: Delivery<'register' | 'heartbeat'>): void {
    const now = Date.now();
    this.heardFromKafka(now);
    const change = delivery.topic === 'register' ? this.drivers.onRegister(delivery.message, now) : this.drivers.onHeartbeat(delivery.message, now);
    if (delivery.topic === 'heartbeat') this.onConfigAck(delivery.message);
    if (delivery.topic === 'register') this.log.info({ node_id: delivery.message.node_id, node_ip: delivery.message.node_IP, type: delivery.message.message_type }, 'driver registration');
    if (change) this.logStatusChange(change);
    this.emit('drivers');
  }

  private onConfigAck(heartbeat: HeartbeatMessage): void {
    const testId = heartbeat.config_ack;
    // Only a test of ours still waiting for its trigger: another orchestrator's tests are not ours to keep.
    if (testId !== undefined && this.tests.get(testId)?.state === 'created') this.#configAcks.acknowledge(testId, heartbeat.node_id);
  }

  private onMetrics(delivery: Delivery<'metrics'>): void {
    this.counters.reports_received += 1;
    const now = Date.now();
    this.heardFromKafka(now);
    const change = this.drivers.onActivity(delivery.message.node_id, now);
    if (change) {
      this.logStatusChange(change);
      this.emit('drivers');
    }
    this.recordReport(delivery.message);
    saveHandledOffset(this.store, delivery);
  }

  private recordReport(report: MetricsMessage): void {
    if (!this.tests.has(report.test_id)) {
      this.counters.reports_unknown_test += 1;
      this.log.debug({ test_id: report.test_id, node_id: report.node_id }, 'report for a test this orchestrator does not know; skipped');
      return;
    }
    if (report.priming_ms !== undefined) this.#primingMs.set(report.node_id, report.priming_ms);
    const appended = this.tests.append(report.test_id, { type: 'report_received', at: new Date().toISOString(), report }, `report:${report.report_id}`);
    if (!appended) this.counters.reports_duplicate += 1;
    else if (report.final) this.superviseOne(this.mustGet(report.test_id), Date.now());
  }

  private sweep(): void {
    const now = Date.now();
    const hearingSince = this.hearingSince();
    this.#firstHearingSinceMs ??= hearingSince;
    // While this orchestrator cannot read Kafka, and for one liveness window after, a silent driver
    // may be a silent broker: judging it would fail a test that is running fine.
    if (hearingSince === undefined || now - hearingSince <= LOST_AFTER_MS) return;
    const changes = mayJudgeSilence(now, hearingSince, this.#firstHearingSinceMs) ? this.drivers.sweep(now) : [];
    this.reportCrowdSilence();
    for (const change of changes) this.logStatusChange(change);
    if (changes.length > 0) this.emit('drivers');
    for (const test of this.tests.unfinished()) if (test.state === 'running') this.superviseOne(test, now);
    this.repeatCancels(now);
  }

  private superviseOne(test: TestProjection, nowMs: number): void {
    const verdict = superviseTest(test, {
      nowMs,
      hearingSinceMs: this.hearingSince() ?? nowMs,
      driver: (id) => this.drivers.get(id),
      silentForMs: (id) => this.drivers.silentForMs(id, nowMs),
      failAfterSilentMs: TEST_FAILS_AFTER_SILENT_MS,
      lostAfterMs: LOST_AFTER_MS,
      silentAfterMs: SILENT_AFTER_MS,
    });
    if (verdict) this.finish(test.test_id, verdict.state, verdict.reason);
  }

  /** Since when this orchestrator has been able to hear the drivers through Kafka. */
  private hearingSince(): number | undefined {
    const delivering = this.bus.deliveringSince();
    return delivering === undefined ? undefined : Math.max(delivering, this.startedAtMs);
  }

  private finish(testId: string, state: 'completed' | 'failed' | 'cancelled', reason?: string): void {
    const test = this.tests.get(testId);
    if (!test || isFinished(test)) return;
    this.#configAcks.forget(testId);
    this.#configDeliveryMs.delete(testId);
    const lost = driversStillRunning(test).filter((id) => this.drivers.get(id)?.status !== 'alive');
    this.tests.append(testId, { type: 'test_finished', at: new Date().toISOString(), state, reason, ...(lost.length > 0 ? { drivers_lost: lost } : {}) });
    this.log.info({ test_id: testId, state, reason }, 'test finished');
    // Whatever ended the test (its time limit, a lost or rejecting driver, a cancel), load stops with it.
    const loading = driversStillLoading(test, (id) => this.drivers.get(id));
    if (loading.length > 0) {
      this.log.info({ test_id: testId, drivers: loading }, 'telling the drivers still running the test to stop');
      this.sendCancelInBackground(testId, reason ?? `the test is ${state}`);
    }
  }

  /** Once per episode: most drivers silent at once is the bus or this orchestrator falling behind. */
  private reportCrowdSilence(): void {
    const silence = this.drivers.crowdSilence;
    if (silence && !this.#crowdSilenceReported) {
      this.log.warn({ silent: silence.silent, of: silence.of }, `${silence.silent} of ${silence.of} drivers silent at once: Kafka or this orchestrator is behind, not ${silence.silent} driver failures; no driver is marked lost for it`);
    } else if (!silence && this.#crowdSilenceReported) {
      this.log.info('drivers heard from again after a crowd silence');
    }
    this.#crowdSilenceReported = silence !== undefined;
  }

  private logStatusChange(change: StatusChange): void {
    const level = change.status === 'lost' ? 'warn' : 'info';
    this.log[level]({ node_id: change.node_id, status: change.status }, `driver ${change.status}`);
  }
}
