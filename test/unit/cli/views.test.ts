import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EXIT_THRESHOLD_FAILED, verdictFor } from '../../../src/cli/commands/run.js';
import { parseThreshold } from '../../../src/api/thresholds.js';
import { createProgressView, plainProgressLine, ttyProgressLines } from '../../../src/cli/run/progressView.js';
import { KafkaSilence } from '../../../src/cli/run/kafkaSilence.js';
import { summaryTable } from '../../../src/cli/run/summaryTable.js';
import { driverFigures, figures, testView } from '../../cli/fixtures.js';

describe('summary table', () => {
  it('has a row for each driver and one for the whole test, with every latency column', () => {
    const text = summaryTable(testView());
    const lines = text.split('\n');
    const header = lines.find((l) => l.trim().startsWith('scope'));
    assert.ok(header, text);
    for (const column of ['requests', 'errors', 'req/s', 'min', 'mean', 'median', 'mode', 'p90', 'p95', 'p99', 'max']) assert.match(header, new RegExp(`\\b${column.replace('/', '\\/')}\\b`));
    assert.match(text, /^ {2}driver-a +200 +0 \(0\.00%\) +475\.0 +0\.50 +3\.20 +2\.50 +2\.10 +6\.00 +245\.10 +300\.00 +40\.00$/m);
    assert.match(text, /^ {2}driver-b +200 /m);
    assert.match(text, /^ {2}overall +400 +0 \(0\.00%\) +950\.0 /m);
    assert.match(lines[0]!, /test test-abc \(TSUNAMI, 200 requests per driver × 2\) completed after 2\.0 s/);
  });

  it('shows the state and reason, errors by kind, unfinished drivers and approximate figures', () => {
    const text = summaryTable(
      testView({
        state: 'failed',
        reason: 'driver driver-b lost',
        aggregate: figures({ completed: 390, error_count: 39, errors: { timeout: 30, http_500: 9 }, approximate: true }),
        drivers: [driverFigures('driver-a'), driverFigures('driver-b', { final: false, outcome: null })],
      }),
    );
    assert.match(text, /failed after 2\.0 s: driver driver-b lost/);
    assert.match(text, /overall +390 +39 \(10\.00%\)/);
    assert.match(text, /errors by kind: timeout 30, http_500 9/);
    assert.match(text, /10 sent request\(s\) never completed/);
    assert.match(text, /driver-b: no final report received/);
    assert.match(text, /approximate/);
  });
});

describe('late starts in the summary', () => {
  it('names a driver that started more than 1 % of its requests late, with the share, and no other', () => {
    const text = summaryTable(testView({ drivers: [driverFigures('driver-a', { late_starts: 3 }), driverFigures('driver-b', { late_starts: 2 })] }));
    assert.match(text, /^ {2}⚠ driver driver-a could not keep the schedule: 1\.5 % of starts were late; its latencies include that wait$/m);
    assert.doesNotMatch(text, /driver-b could not keep/, '2 of 200 is exactly 1 %, not more');
  });
});

describe('silence from Kafka in the live views', () => {
  it('plain: one line when the silence begins and one when data comes again, not one a second', () => {
    let now = 0;
    const written: string[] = [];
    const view = createProgressView('plain', { write: (text: string) => written.push(text) > 0 }, () => now);
    now = 4_000;
    view.silence('no data from Kafka for 4 s');
    now = 5_000;
    view.silence('no data from Kafka for 5 s');
    now = 6_000;
    view.silence(null);
    assert.deepEqual(written, ['t=4.0s no data from Kafka for 4 s\n', 't=6.0s data from Kafka again after 2 s\n']);
  });

  it('terminal: a line under the bars that counts up, gone once data flows', () => {
    const written: string[] = [];
    const view = createProgressView('tty', { write: (text: string) => written.push(text) > 0 });
    view.update(testView({ state: 'running' }));
    view.silence('no data from Kafka for 4 s');
    view.silence('no data from Kafka for 5 s');
    assert.match(written[2]!, /⚠ no data from Kafka for 5 s\n$/);
    view.silence(null);
    assert.doesNotMatch(written[3]!, /no data from Kafka/);
  });

  it('counts the silence from when the newest message time last changed, on this clock', () => {
    const silence = new KafkaSilence();
    silence.observe({ last_kafka_message_at: '2026-01-01T00:00:00.000Z', kafka_readable: true }, Date.parse('2026-01-01T00:00:01.000Z'));
    assert.equal(silence.problem(Date.parse('2026-01-01T00:00:02.900Z')), null);
    assert.equal(silence.problem(Date.parse('2026-01-01T00:00:04.200Z')), 'no data from Kafka for 4 s');
    // A newer message, seen now: the orchestrator's clock may be hours off; this one counts.
    silence.observe({ last_kafka_message_at: '2026-01-01T05:00:00.000Z', kafka_readable: true }, 10_000);
    assert.equal(silence.problem(12_000), null);
    assert.equal(silence.problem(13_500), 'no data from Kafka for 3 s');
    silence.observe({ last_kafka_message_at: '2026-01-01T05:00:00.000Z', kafka_readable: false }, 13_600);
    assert.equal(silence.problem(13_700), 'no data from Kafka for 3 s (the orchestrator cannot read from the broker)');
  });
});

describe('progress views', () => {
  it('prints the plain line CI logs get', () => {
    const view = testView({ state: 'running', aggregate: figures({ sent: 120, completed: 118, rps: 40.06, latency: { ...figures().latency, median: 1.2, p99: 3.4 } }) });
    assert.equal(plainProgressLine(view, 3_000), 't=3.0s sent=120/400 completed=118 errors=0 rps=40.1 p50=1.2ms p99=3.4ms');
  });

  it("adds a scenario test's VUs and iterations to the plain line and under the bars", () => {
    const iterations = { completed: 40, failed: 2, dropped: 1, failed_by_reason: { capture_missing: 2 }, duration: figures().latency };
    const view = testView({ state: 'running', aggregate: figures({ sent: 120, completed: 118, rps: 40.06, vus: 8, iterations, latency: { ...figures().latency, median: 1.2, p99: 3.4 } }) });
    assert.equal(plainProgressLine(view, 3_000), 't=3.0s sent=120/400 completed=118 errors=0 rps=40.1 p50=1.2ms p99=3.4ms vus=8 iterations=40 failed=2 dropped=1');
    assert.equal(ttyProgressLines(view).at(-1), 'vus=8  iterations=40  failed=2  dropped=1');
  });

  it('says the drivers are warming up, and how far, instead of figures that do not count yet', () => {
    const warming = { phase: 'warmup' as const, warmup_completed: 7, sent: 0, completed: 0, progress: 0, final: false, outcome: null };
    const view = testView({ state: 'running', config: { ...testView().config, warmup_count_per_driver: 10 }, drivers: [driverFigures('driver-a', warming), driverFigures('driver-b', { ...warming, warmup_completed: 10 })] });
    assert.equal(plainProgressLine(view, 1_000), 't=1.0s warming up: 17/20 warm-up requests done');
    assert.match(ttyProgressLines(view)[0]!, /^driver-a +\[\.{24}\] +warming up 7/);
  });

  it('no longer says warming up once a driver stopped during its warm-up', () => {
    const cancelled = { phase: 'warmup' as const, warmup_completed: 7, sent: 0, completed: 0, progress: 0, final: true, outcome: 'cancelled' as const };
    const view = testView({ state: 'cancelled', config: { ...testView().config, warmup_count_per_driver: 10 }, drivers: [driverFigures('driver-a', cancelled), driverFigures('driver-b', cancelled)] });
    assert.doesNotMatch(plainProgressLine(view, 1_000), /warming up/);
    assert.doesNotMatch(ttyProgressLines(view)[0]!, /warming up/);
  });

  it('prints at most one plain line a second, and the last figures at the end', () => {
    let now = 0;
    const written: string[] = [];
    const view = createProgressView('plain', { write: (text: string) => written.push(text) > 0 }, () => now);
    const running = testView({ state: 'running' });
    for (now = 0; now < 2_500; now += 250) view.update(running);
    assert.equal(written.length, 3);
    view.finish(testView({ aggregate: figures({ completed: 399 }) }));
    assert.equal(written.length, 4);
    assert.match(written[3]!, /completed=399/);
  });

  it('draws a bar per driver plus overall and latency lines, redrawn in place', () => {
    const lines = ttyProgressLines(testView({ state: 'running', drivers: [driverFigures('driver-a', { progress: 0.5, sent: 100 }), driverFigures('driver-b')] }));
    assert.equal(lines.length, 4);
    assert.match(lines[0]!, /^driver-a +\[#{12}\.{12}\] +100\/200 +completed 200/);
    assert.match(lines[2]!, /^overall /);
    assert.match(lines[3]!, /median 2\.5ms +p95 245\.1ms +p99 300ms/);
    const written: string[] = [];
    const view = createProgressView('tty', { write: (text: string) => written.push(text) > 0 });
    view.update(testView());
    view.update(testView());
    assert.ok(!written[0]!.includes('\x1b['));
    assert.ok(written[1]!.startsWith('\x1b[4F\x1b[J'));
  });
});

describe('exit codes', () => {
  const threshold = (expression: string) => parseThreshold(expression);
  const allFailed = figures({ completed: 400, error_count: 400, errors: { connection_refused: 400 }, error_samples: { connection_refused: ['connect ECONNREFUSED 127.0.0.1:9'] } });

  it('gives 1 with the reason for a failed or cancelled test, even when a threshold failed too', () => {
    const failedThreshold = [{ expression: 'p95<1', ok: false, actual: 3 }];
    assert.deepEqual(verdictFor(testView({ state: 'failed', reason: 'driver driver-b lost' }), [threshold('p95<1')], failedThreshold), { exitCode: 1, problem: 'test test-abc failed: driver driver-b lost' });
    assert.deepEqual(verdictFor(testView({ state: 'cancelled', reason: 'cancelled by the user' }), [], []), { exitCode: 1, problem: 'test test-abc cancelled: cancelled by the user' });
  });

  it('gives 99 for a failed threshold and 0 otherwise', () => {
    assert.equal(verdictFor(testView(), [threshold('p95<1')], [{ expression: 'p95<1', ok: false, actual: 3 }]).exitCode, EXIT_THRESHOLD_FAILED);
    assert.deepEqual(verdictFor(testView(), [threshold('p95<500')], [{ expression: 'p95<500', ok: true, actual: 3 }]), { exitCode: 0, problem: undefined });
  });

  it('fails a completed test whose every request failed, naming the kinds and the first error', () => {
    const verdict = verdictFor(testView({ aggregate: allFailed }), [threshold('p99<5000')], [{ expression: 'p99<5000', ok: true, actual: 3 }]);
    assert.equal(verdict.exitCode, 1);
    assert.equal(verdict.problem, "every request failed (400 of 400: connection_refused 400; first error: connect ECONNREFUSED 127.0.0.1:9); add --threshold 'errors<=100%' if that is what you expect");
  });

  it('leaves every request failing to the thresholds when they judge errors', () => {
    assert.deepEqual(verdictFor(testView({ aggregate: allFailed }), [threshold('errors<=100%')], [{ expression: 'errors<=100%', ok: true, actual: 100 }]), { exitCode: 0, problem: undefined });
    assert.equal(verdictFor(testView({ aggregate: allFailed }), [threshold('errors<5')], [{ expression: 'errors<5', ok: false, actual: 400 }]).exitCode, EXIT_THRESHOLD_FAILED);
  });

  it('does not call a test with some successes all failed', () => {
    assert.equal(verdictFor(testView({ aggregate: figures({ error_count: 399, errors: { timeout: 399 } }) }), [], []).exitCode, 0);
  });
});
