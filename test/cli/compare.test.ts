import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseRelativeThreshold, relativeChange } from '../../src/report/index.js';
import { eventually, getJson, startCli, startDriverProcess, startOrchestratorProcess, startTarget, stopAllChildren, tempDir, type Child } from '../helpers/processes.js';

async function cli(args: string[], timeoutMs = 60_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = startCli(args);
  const timer = setTimeout(() => child.process.kill('SIGKILL'), timeoutMs);
  const code = await child.exited;
  clearTimeout(timer);
  return { code, stdout: child.stdout(), stderr: child.stderr() };
}

describe('relative thresholds', () => {
  it('reads a signed percentage change and refuses anything else naming it', () => {
    assert.deepEqual(parseRelativeThreshold('p99<+10%'), { expression: 'p99<+10%', metric: 'p99', operator: '<', limit_pct: 10 });
    assert.deepEqual(parseRelativeThreshold(' rps >= -5 % '), { expression: 'rps >= -5 %', metric: 'rps', operator: '>=', limit_pct: -5 });
    assert.equal(parseRelativeThreshold('p50<5%').metric, 'median');
    assert.throws(() => parseRelativeThreshold('p99<10'), /"p99<10": expected METRIC OPERATOR ±PERCENT%/);
    assert.throws(() => parseRelativeThreshold('p42<+10%'), /unknown metric "p42"/);
    assert.equal(relativeChange(10, 11), 10);
    assert.equal(relativeChange(0, 0), 0);
    assert.equal(relativeChange(0, 1), Infinity);
    assert.equal(relativeChange(null, 1), null);
  });
});

describe('stampede compare on two real runs', () => {
  const dir = tempDir('stampede-compare-');
  const baseFile = join(dir, 'base.json');
  const slowerFile = join(dir, 'slower.json');

  before(async () => {
    const target = await startTarget();
    const orchestrator: { url: string; port: number; child: Child } = await startOrchestratorProcess();
    const drivers = await Promise.all([startDriverProcess(orchestrator.url), startDriverProcess(orchestrator.url)]);
    const ids = drivers.map((d) => d.nodeId);
    await eventually(() => getJson<{ node_id: string; status: string }[]>(`${orchestrator.url}/api/drivers`), (list) => ids.every((id) => list.some((d) => d.node_id === id && d.status === 'alive')), 15_000, 'both drivers alive');
    // The target's fixed delay makes the second run 25 ms slower on every request. The two runs go at the
    // same time, each on its own driver, so a busy machine's pauses land on both alike; and the gap is
    // wide, because a p99 of 300 requests is their third slowest: a few requests held up 4 ms or more in
    // the base run once lifted its p99 to within 10 % of a run only 5 ms slower.
    const runWithDelay = async (delayMs: number, driverId: string, file: string) => {
      const result = await cli(['run', '--orchestrator', `127.0.0.1:${orchestrator.port}`, '--target', `${target.url}/ping?delay_ms=${delayMs}`, '--type', 'tsunami', '--delay-ms', '20', '--count', '300', '--warmup', '20', '--drivers', driverId, '--out', file]);
      assert.equal(result.code, 0, result.stderr);
    };
    await Promise.all([runWithDelay(5, ids[0]!, baseFile), runWithDelay(30, ids[1]!, slowerFile)]);
  });
  after(() => stopAllChildren());

  it('gates a 25 ms slower run with p99<+10% (exit 99), side by side with the change', async () => {
    const { code, stdout, stderr } = await cli(['compare', baseFile, slowerFile, '--threshold', 'p99<+10%', '--threshold', 'errors<=0%']);
    assert.equal(code, 99, stderr);
    assert.match(stdout, /✗ p99<\+10%: change \+[\d.,]+ %/);
    assert.match(stdout, /✓ errors<=0%: change 0 %/);
    assert.match(stdout, /^overall \(sent 300 \/ 300\)/m);
    const base = JSON.parse(readFileSync(baseFile, 'utf8')) as { aggregate: { latency: { p99: number } } };
    assert.match(stdout, new RegExp(`^ {2}p99 ms +${base.aggregate.latency.p99.toLocaleString('en-US', { maximumFractionDigits: 3 }).replace('.', '\\.')} `, 'm'));
  });

  it('passes a run compared with itself, and writes the comparison as HTML', async () => {
    const htmlFile = join(dir, 'diff.html');
    const { code, stdout, stderr } = await cli(['compare', baseFile, baseFile, '--threshold', 'p99<+10%', '--threshold', 'rps>-5%', '--out', htmlFile]);
    assert.equal(code, 0, stderr);
    assert.match(stdout, /✓ p99<\+10%: change 0 %/);
    assert.match(stdout, /✓ rps>-5%: change 0 %/);
    const html = readFileSync(htmlFile, 'utf8');
    assert.match(html, /All thresholds passed/);
    assert.match(html, /data-change="p99">0 %</);
  });

  it('exits 2 naming a bad file or threshold', async () => {
    const notReport = join(dir, 'not-report.json');
    writeFileSync(notReport, JSON.stringify({ test_id: 'x', state: 'completed', aggregate: { sent: 1 } }));
    const notJson = join(dir, 'not.json');
    writeFileSync(notJson, '{');
    const cases: [string[], RegExp][] = [
      [[baseFile, notReport], new RegExp(`${notReport.replace(/[.]/g, '\\.')}: not a Stampede JSON report .*aggregate\\.completed`)],
      [[notJson, baseFile], new RegExp(`${notJson.replace(/[.]/g, '\\.')}: not JSON`)],
      [[baseFile, join(dir, 'missing.json')], /missing\.json: cannot read it/],
      [[baseFile, baseFile, '--threshold', 'p99<10'], /--threshold "p99<10"/],
      [[baseFile], /needs two files/],
      [[baseFile, baseFile, '--out', 'x.pdf'], /--out must name a \.html file/],
    ];
    for (const [args, message] of cases) {
      const { code, stderr } = await cli(['compare', ...args]);
      assert.equal(code, 2, args.join(' '));
      assert.match(stderr, message);
    }
  });
});
