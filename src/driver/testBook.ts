import { requestsOf, type RequestSpec, type TestConfigMessage } from '../protocol/index.js';

export type TestState = 'ready' | 'running' | 'finished' | 'cancelled' | 'rejected';

export type KnownTest = {
  config: TestConfigMessage;
  /** The test's requests, else one GET of its target_url or the driver's --target; absent when none is set. */
  requests: RequestSpec[] | undefined;
  state: TestState;
};

export type ConfigVerdict = { kind: 'accepted'; test: KnownTest } | { kind: 'duplicate'; test: KnownTest } | { kind: 'not_for_me' };

/** Old tests are forgotten so a long-lived driver does not grow without bound (in memory, and in its store). */
export const REMEMBERED_TESTS = 1_000;

/** The test configs addressed to this driver, by test id, with how far each has got. */
export class TestBook {
  private readonly tests = new Map<string, KnownTest>();
  /** Configs for this driver that broke the schema: why, by test id. */
  private readonly refused = new Map<string, string>();
  /** Tests addressed to other drivers, so their triggers can be ignored quietly. */
  private readonly othersTests = new Set<string>();

  constructor(
    private readonly nodeId: string,
    private readonly defaultTarget: string | undefined,
  ) {}

  /** A config without driver_ids is for every driver. */
  isForMe(config: TestConfigMessage): boolean {
    return config.driver_ids === undefined || config.driver_ids.includes(this.nodeId);
  }

  /** The first config of a test id wins: a redelivered or conflicting one must not change a test in progress. */
  add(config: TestConfigMessage): ConfigVerdict {
    if (!this.isForMe(config)) {
      this.othersTests.add(config.test_id);
      trimToLimit(this.othersTests);
      return { kind: 'not_for_me' };
    }
    const known = this.tests.get(config.test_id);
    if (known) return { kind: 'duplicate', test: known };
    // A scenario test's requests are its flows' steps: it needs no target of its own.
    const test: KnownTest = { config, requests: config.scenarios ? [] : requestsOf(config, config.target_url ?? this.defaultTarget), state: 'ready' };
    this.tests.set(config.test_id, test);
    this.forgetOldTests();
    return { kind: 'accepted', test };
  }

  /** A config this driver cannot read: its trigger gets a rejection with the reason. */
  refuse(testId: string, reason: string): void {
    if (this.tests.has(testId)) return;
    this.refused.set(testId, reason);
    trimMapToLimit(this.refused);
  }

  refusal(testId: string): string | undefined {
    return this.refused.get(testId);
  }

  get(testId: string): KnownTest | undefined {
    return this.tests.get(testId);
  }

  isForOthers(testId: string): boolean {
    return this.othersTests.has(testId);
  }

  private forgetOldTests(): void {
    for (const [testId, test] of this.tests) {
      if (this.tests.size <= REMEMBERED_TESTS) return;
      if (test.state !== 'running') this.tests.delete(testId);
    }
  }
}

function trimToLimit(ids: Set<string>): void {
  for (const id of ids) {
    if (ids.size <= REMEMBERED_TESTS) return;
    ids.delete(id);
  }
}

function trimMapToLimit(entries: Map<string, string>): void {
  for (const key of entries.keys()) {
    if (entries.size <= REMEMBERED_TESTS) return;
    entries.delete(key);
  }
}
