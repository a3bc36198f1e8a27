import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EXIT_THRESHOLD_FAILED, exitCodeFor } from '../../src/cli/commands/run.js';
import { createProgressView, plainProgressLine, ttyProgressLines } from '../../src/cli/run/progressView.js';
import { summaryTable } from '../../src/cli/run/summaryTable.js';
import { driverFigures, figures, testView } from './fixtures.js';

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

describe('progress views', () => {
  it('prints the plain line CI logs get', () => {
    const view = testView({ state: 'running', aggregate: figures({ sent: 120, completed: 118, rps: 40.06, latency: { ...figures().latency, median: 1.2, p99: 3.4 } }) });
    assert.equal(plainProgressLine(view, 3_000), 't=3.0s sent=120/400 completed=118 errors=0 rps=40.1 p50=1.2ms p99=3.4ms');
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
  it('gives 99 for a failed threshold, even when the test failed too; 1 for a failed test; 0 otherwise', () => {
    const failedThreshold = [{ expression: 'p95<1', ok: false, actual: 3 }];
    assert.equal(exitCodeFor(testView(), failedThreshold), EXIT_THRESHOLD_FAILED);
    assert.equal(exitCodeFor(testView({ state: 'failed' }), failedThreshold), EXIT_THRESHOLD_FAILED);
    assert.equal(exitCodeFor(testView({ state: 'cancelled' }), []), 1);
    assert.equal(exitCodeFor(testView(), [{ expression: 'p95<500', ok: true, actual: 3 }]), 0);
  });
});
