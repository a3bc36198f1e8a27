import type { KafkaBus } from '../../src/bus/index.js';
import { newTestId, TOPICS, type MetricsMessage, type TestConfigMessage } from '../../src/protocol/index.js';
import { connectTestBus, subscribeInbox, type Inbox } from '../../test/helpers/kafka.js';
import { startRegisteredDriver, stopChild, type Child } from '../../test/helpers/processes.js';

/** The driver logs the orchestrator's address and never contacts it; these benchmarks talk to it over Kafka only. */
const UNUSED_ORCHESTRATOR = 'http://127.0.0.1:7070';

export type LoadSettings = Pick<TestConfigMessage, 'test_type' | 'message_count_per_driver'> &
  Partial<Pick<TestConfigMessage, 'target_url'>> &
  Partial<Pick<TestConfigMessage, 'test_message_delay' | 'throughput_per_driver' | 'concurrency' | 'requests' | 'stages' | 'start_rps' | 'duration_s' | 'scenarios'>>;

export type DriverResult = { report: MetricsMessage; requestsPerSecond: number };

/**
 * A real `stampede driver` child process, driven the way the orchestrator drives it: test_config and
 * trigger published on Kafka, figures read from the driver's final `metrics` report.
 */
export class DriverHarness {
  private constructor(
    private readonly bus: KafkaBus,
    private readonly inbox: Inbox<'metrics'>,
    private readonly closeInbox: () => Promise<void>,
    readonly driver: { child: Child; nodeId: string },
  ) {}

  /** The driver as users start it (`--workers auto`) unless `driverArgs` say otherwise. */
  static async start(driverArgs: string[] = ['--workers', 'auto']): Promise<DriverHarness> {
    const bus = await connectTestBus(`bench-${process.pid}-${Math.random().toString(36).slice(2, 8)}`);
    const { inbox, close } = await subscribeInbox(bus, [TOPICS.metrics]);
    // Nothing listens at the orchestrator's address: the driver is driven over Kafka only.
    const driver = await startRegisteredDriver(UNUSED_ORCHESTRATOR, driverArgs);
    return new DriverHarness(bus, inbox, close, driver);
  }

  get pid(): number {
    return this.driver.child.process.pid!;
  }

  /** Publishes the config and the trigger; resolves with the final report once the driver is done. */
  async run(settings: LoadSettings, timeoutMs = 120_000): Promise<DriverResult> {
    const testId = await this.publishTest(settings);
    return this.finalReport(testId, timeoutMs);
  }

  async publishTest(settings: LoadSettings): Promise<string> {
    const config: TestConfigMessage = {
      test_message_delay: 0,
      ...settings,
      test_id: newTestId(),
      driver_ids: [this.driver.nodeId],
      created_at: new Date().toISOString(),
    };
    await this.bus.publish(TOPICS.testConfig, config, config.test_id);
    await this.bus.publish(TOPICS.trigger, { test_id: config.test_id, trigger: 'YES' }, config.test_id);
    return config.test_id;
  }

  async finalReport(testId: string, timeoutMs = 120_000): Promise<DriverResult> {
    const delivery = await this.inbox.waitFor((d) => d.message.test_id === testId && d.message.final === true, timeoutMs, `the final report of ${testId}`);
    const report = delivery.message;
    if (report.outcome !== 'completed') throw new Error(`test ${testId} ended ${report.outcome}: ${report.reason ?? ''}`);
    const elapsedSeconds = (report.elapsed_ms ?? 0) / 1000;
    return { report, requestsPerSecond: elapsedSeconds > 0 ? (report.completed ?? 0) / elapsedSeconds : 0 };
  }

  /** Stops the driver too: an idle one left running would take CPU from the measurements after it. */
  async close(): Promise<void> {
    await stopChild(this.driver.child.process);
    await this.closeInbox();
    await this.bus.close();
  }
}

export function errorCount(report: MetricsMessage): number {
  return Object.values(report.errors ?? {}).reduce((sum, n) => sum + n, 0);
}
