import { createReadStream, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { request } from 'undici';
import type { DataFileView, TestDetailView } from '../src/api/index.js';
import { eventually, getJson, postJson, startDriverProcess, startOrchestratorProcess, startTarget, stopAllChildren, tempDir } from '../test/helpers/processes.js';
import { peakRssDuring, rssMiB } from './support/procStats.js';
import { fixed, markdownTable, printSection } from './support/table.js';

/**
 * Test data at scale: a 100 MB CSV of 1,000,000 rows uploaded to a real orchestrator, then read by a
 * driver (DATA_BENCH_DRIVERS of them) at 5,000 rows/s each for 20 s: unique rows dealt through Kafka, a circular walk, and random
 * draws (which hold every row). Beside each, the same test over a 1,000-row file of the same shape: a
 * driver whose memory does not grow with the file has the same peak RSS for both.
 */
const BIG_ROWS = 1_000_000;
const SMALL_ROWS = 1_000;
const RATE_PER_DRIVER = 5_000;
const SECONDS = 20;
/** One driver per core would leave none for the target, the orchestrator and Kafka on a 2-core machine. */
const DRIVERS = Number(process.env.DATA_BENCH_DRIVERS ?? 1);

/** ~100 bytes a row: an account name, a password, an email and a note. */
function writeCsv(file: string, rows: number): void {
  const lines = ['user,password,email,note'];
  for (let i = 1; i <= rows; i++) lines.push(`user${String(i).padStart(7, '0')},pw-${(i * 7919).toString(36).padStart(8, '0')},user${i}@example.test,${'x'.repeat(41)}`);
  writeFileSync(file, `${lines.join('\n')}\n`);
}

async function upload(orchestratorUrl: string, file: string): Promise<{ view: DataFileView; seconds: number }> {
  const started = performance.now();
  const response = await request(`${orchestratorUrl}/api/data`, { method: 'POST', headers: { 'content-type': 'text/csv' }, body: createReadStream(file), headersTimeout: 600_000, bodyTimeout: 600_000 });
  const text = await response.body.text();
  if (response.statusCode !== 201) throw new Error(`upload answered ${response.statusCode}: ${text}`);
  return { view: JSON.parse(text) as DataFileView, seconds: (performance.now() - started) / 1000 };
}

type Run = { mode: string; file: string; usedPerSecond: number; dropped: number; peakDriverMiB: number; peakOrchestratorMiB: number };

async function main(): Promise<void> {
  const dir = tempDir('stampede-bench-data-');
  const bigFile = join(dir, 'big.csv');
  const smallFile = join(dir, 'small.csv');
  writeCsv(bigFile, BIG_ROWS);
  writeCsv(smallFile, SMALL_ROWS);
  try {
    const orchestrator = await startOrchestratorProcess();
    const drivers = await Promise.all(Array.from({ length: DRIVERS }, () => startDriverProcess(orchestrator.url)));
    const target = await startTarget();
    const orchestratorPid = orchestrator.child.process.pid!;
    const idleOrchestratorMiB = rssMiB(orchestratorPid);
    const { result: big, peakMiB: [uploadPeakMiB] } = await peakRssDuring([orchestratorPid], () => upload(orchestrator.url, bigFile));
    const small = await upload(orchestrator.url, smallFile);
    const runs: Run[] = [];
    const cases: { mode: 'none' | 'unique' | 'circular' | 'random'; label: string; file: DataFileView | undefined }[] = [{ mode: 'none', label: 'no data', file: undefined }];
    for (const mode of ['unique', 'circular', 'random'] as const) {
      // The small file first: a driver's heap does not give memory back at once, so the big one after it shows its own peak.
      cases.push({ mode, label: `${SMALL_ROWS.toLocaleString('en')} rows`, file: small.view }, { mode, label: `${BIG_ROWS.toLocaleString('en')} rows`, file: big.view });
    }
    for (const { mode, label, file } of cases) {
      {
        const data = mode === 'none' ? undefined : { source: 'accounts', mode, ...(mode === 'unique' ? { on_exhausted: 'cycle' } : {}) };
        const url = data ? `${target.url}/ping?u={{data.user}}&p={{data.password}}` : `${target.url}/ping?u={{vu}}&p={{iteration}}`;
        const scenario = { executor: 'constant-arrival-rate', rate: RATE_PER_DRIVER, duration_s: SECONDS, max_vus: 200, ...(data ? { data } : {}), flow: [{ name: 'get', method: 'GET', url }] };
        const pids = [...drivers.map((d) => d.child.process.pid!), orchestratorPid];
        const { result: test, peakMiB } = await peakRssDuring(pids, async () => {
          const created = await postJson<TestDetailView>(`${orchestrator.url}/api/tests`, { drivers: drivers.map((d) => d.nodeId), ...(file ? { data: { accounts: file.data_id } } : {}), scenarios: { s: scenario }, trigger: true });
          if (created.status !== 201) throw new Error(`creating the test answered ${created.status}: ${JSON.stringify(created.body)}`);
          return eventually(() => getJson<TestDetailView>(`${orchestrator.url}/api/tests/${created.body.test_id}`), (t) => ['completed', 'failed', 'cancelled'].includes(t.state), 120_000, 'the test to end');
        });
        if (test.state !== 'completed') throw new Error(`${mode} over ${label}: ${test.state} ${test.reason ?? ''}`);
        const seconds = test.aggregate.elapsed_ms / 1000;
        const iterations = test.aggregate.iterations?.completed ?? 0;
        runs.push({ mode, file: label, usedPerSecond: (test.data[0]?.used ?? iterations) / seconds / DRIVERS, dropped: test.aggregate.iterations?.dropped ?? 0, peakDriverMiB: Math.max(...peakMiB.slice(0, DRIVERS)), peakOrchestratorMiB: peakMiB[DRIVERS]! });
      }
    }
    const megabytes = statSync(bigFile).size / 1e6;
    printSection(
      `Test data: a ${fixed(megabytes)} MB CSV of ${BIG_ROWS.toLocaleString('en')} rows, uploaded and read by ${DRIVERS} driver${DRIVERS === 1 ? '' : 's'} at ${RATE_PER_DRIVER} rows/s each for ${SECONDS} s`,
      markdownTable(
        ['mode', 'file', 'rows (iterations) used/s per driver', 'dropped iterations', 'driver peak RSS (MiB)', 'orchestrator peak RSS (MiB)'],
        runs.map((r) => [r.mode, r.file, fixed(r.usedPerSecond), r.dropped, fixed(r.peakDriverMiB), fixed(r.peakOrchestratorMiB)]),
      ),
      [
        `upload: ${fixed(big.seconds, 1)} s (${fixed(megabytes / big.seconds)} MB/s) for ${big.view.rows.toLocaleString('en')} rows; orchestrator RSS ${fixed(idleOrchestratorMiB)} MiB idle, at most ${fixed(uploadPeakMiB!)} MiB during the upload.`,
        'unique uses on_exhausted: cycle so the 1,000-row file lasts the run; each row is still dealt once per pass. Peak RSS sampled every 100 ms over the run (the highest driver).',
        'rows/s is over the whole test as the orchestrator reports it: a random feed reads every row before its clock starts, and that time counts.',
      ],
    );
  } finally {
    await stopAllChildren();
  }
}

await main();
process.exit(0);
