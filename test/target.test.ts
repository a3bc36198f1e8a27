import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { Pool, request } from 'undici';
import { startTargetServer, type TargetServer } from '../src/target/targetServer.js';
import { NO_FAULTS } from '../src/target/faults.js';

const STAMPEDE_BIN = fileURLToPath(new URL('../../bin/stampede.js', import.meta.url));

async function withTarget(body: (target: TargetServer) => Promise<void>): Promise<void> {
  const target = await startTargetServer({ host: '127.0.0.1', port: 0 });
  try {
    await body(target);
  } finally {
    await target.close();
  }
}

async function getJson(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: unknown }> {
  const response = await request(url, { headers });
  return { status: response.statusCode, body: await response.body.json() };
}

/** Sends `count` GETs over a keep-alive pool of `connections` sockets; returns the status codes. */
async function sendMany(url: string, count: number, connections: number): Promise<number[]> {
  const origin = new URL(url);
  const pool = new Pool(origin.origin, { connections });
  try {
    const path = origin.pathname + origin.search;
    return await Promise.all(
      Array.from({ length: count }, async () => {
        const response = await pool.request({ path, method: 'GET' });
        await response.body.dump();
        return response.statusCode;
      }),
    );
  } finally {
    await pool.close();
  }
}

async function timedGet(url: string): Promise<{ status: number; elapsedMs: number }> {
  const started = performance.now();
  const response = await request(url);
  await response.body.dump();
  return { status: response.statusCode, elapsedMs: performance.now() - started };
}

// libuv's loop clock has 1 ms granularity, so a timer can look up to 1 ms early on a finer clock.
const TIMER_GRANULARITY_MS = 1;

test('GET /ping answers 200 {"message":"pong"} as JSON', async () => {
  await withTarget(async (target) => {
    const response = await request(`${target.url}/ping`);
    assert.equal(response.statusCode, 200);
    assert.equal(response.headers['content-type'], 'application/json');
    assert.deepEqual(await response.body.json(), { message: 'pong' });
  });
});

test('500 keep-alive requests are counted exactly, and /metrics itself is not counted', async () => {
  await withTarget(async (target) => {
    const statuses = await sendMany(`${target.url}/ping`, 500, 10);
    assert.deepEqual(new Set(statuses), new Set([200]));

    const text = await request(`${target.url}/metrics`);
    assert.match(String(text.headers['content-type']), /^text\/plain; version=0\.0\.4/);
    const exposition = await text.body.text();
    assert.match(exposition, /^# HELP requests_received_total /m);
    assert.match(exposition, /^# TYPE requests_received_total counter$/m);
    assert.match(exposition, /^requests_received_total 500$/m);
    assert.match(exposition, /^# TYPE responses_sent_total counter$/m);
    assert.match(exposition, /^responses_sent_total 500$/m);
    assert.match(exposition, /^# TYPE in_flight gauge$/m);
    assert.match(exposition, /^in_flight 0$/m);

    const expected = { requests_received: 500, responses_sent: 500, in_flight: 0 };
    assert.deepEqual(await getJson(`${target.url}/metrics`, { accept: 'application/json' }), { status: 200, body: expected });
    assert.deepEqual(await getJson(`${target.url}/metrics?format=json`), { status: 200, body: expected });
    assert.deepEqual(target.counters(), expected);
  });
});

test('unknown paths get a JSON 404 and are counted as load', async () => {
  await withTarget(async (target) => {
    const { status, body } = await getJson(`${target.url}/nowhere`);
    assert.equal(status, 404);
    assert.match((body as { error: string }).error, /\/nowhere/);
    assert.deepEqual(target.counters(), { requests_received: 1, responses_sent: 1, in_flight: 0 });
  });
});

test('delay_ms adds at least the delay', async () => {
  await withTarget(async (target) => {
    const { status, elapsedMs } = await timedGet(`${target.url}/ping?delay_ms=100`);
    assert.equal(status, 200);
    assert.ok(elapsedMs >= 100 - TIMER_GRANULARITY_MS, `took ${elapsedMs} ms`);
    assert.ok(elapsedMs < 1_000, `took ${elapsedMs} ms`);
  });
});

test('delay_ms with delay_ms_max draws each delay from the range', async () => {
  await withTarget(async (target) => {
    const timings = await Promise.all(Array.from({ length: 20 }, () => timedGet(`${target.url}/ping?delay_ms=20&delay_ms_max=80`)));
    const elapsed = timings.map((t) => t.elapsedMs);
    for (const ms of elapsed) assert.ok(ms >= 20 - TIMER_GRANULARITY_MS && ms < 80 + 500, `took ${ms} ms`);
    assert.ok(Math.max(...elapsed) - Math.min(...elapsed) > 5, `delays not spread: ${elapsed.join(', ')}`);
  });
});

test('a query parameter out of range is answered 400 naming it', async () => {
  await withTarget(async (target) => {
    const { status, body } = await getJson(`${target.url}/ping?error_rate=1.5`);
    assert.equal(status, 400);
    assert.match((body as { error: string }).error, /error_rate/);
  });
});

test('error_rate=1 answers every request with 500 {"error":"injected"}, counted as sent', async () => {
  await withTarget(async (target) => {
    const statuses = await sendMany(`${target.url}/ping?error_rate=1`, 50, 5);
    assert.deepEqual(new Set(statuses), new Set([500]));
    assert.deepEqual(await getJson(`${target.url}/ping?error_rate=1`), { status: 500, body: { error: 'injected' } });
    assert.deepEqual(target.counters(), { requests_received: 51, responses_sent: 51, in_flight: 0 });
  });
});

test('drop_rate=1 destroys the connection: received but never sent', async () => {
  await withTarget(async (target) => {
    await assert.rejects(request(`${target.url}/ping?drop_rate=1`), (error: Error) => /closed|socket/i.test(error.message));
    assert.deepEqual(await getJson(`${target.url}/metrics?format=json`), {
      status: 200,
      body: { requests_received: 1, responses_sent: 0, in_flight: 0 },
    });
  });
});

test('server-wide faults apply when the query does not override them', async () => {
  const target = await startTargetServer({ faults: { ...NO_FAULTS, errorRate: 1 } });
  try {
    assert.equal((await timedGet(`${target.url}/ping`)).status, 500);
    assert.equal((await timedGet(`${target.url}/ping?error_rate=0`)).status, 200);
  } finally {
    await target.close();
  }
});

type Cli = { child: ChildProcess; url: string; stderr: () => string };

async function startCli(args: string[]): Promise<Cli> {
  const child = spawn(process.execPath, [STAMPEDE_BIN, 'target', '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = /target listening on (http:\/\/\S+)/.exec(stdout);
      if (match) resolve(match[1]!);
    });
    child.once('exit', (code) => reject(new Error(`target exited with ${code} before listening: ${stderr}`)));
  });
  return { child, url, stderr: () => stderr };
}

async function exitCodeAfterSigterm(child: ChildProcess): Promise<number | null> {
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const [code] = (await exited) as [number | null];
  return code;
}

async function runCli(args: string[]): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [STAMPEDE_BIN, 'target', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stderr };
}

test('the CLI prints its listening line, answers, and exits 0 on SIGTERM', async () => {
  const cli = await startCli([]);
  try {
    assert.deepEqual(await getJson(`${cli.url}/ping`), { status: 200, body: { message: 'pong' } });
  } finally {
    assert.equal(await exitCodeAfterSigterm(cli.child), 0, cli.stderr());
  }
});

test('with --workers 2, /metrics sums the counts of both workers exactly', async () => {
  const cli = await startCli(['--workers', '2']);
  try {
    const statuses = await sendMany(`${cli.url}/ping`, 200, 8);
    assert.deepEqual(new Set(statuses), new Set([200]));
    const expected = { requests_received: 200, responses_sent: 200, in_flight: 0 };
    // Several reads land on different workers; each must report the same cluster-wide totals.
    for (let i = 0; i < 4; i++) {
      assert.deepEqual(await getJson(`${cli.url}/metrics?format=json`), { status: 200, body: expected });
    }
    const text = await (await request(`${cli.url}/metrics`)).body.text();
    assert.match(text, /^requests_received_total 200$/m);
  } finally {
    assert.equal(await exitCodeAfterSigterm(cli.child), 0, cli.stderr());
  }
});

test('an out-of-range flag exits 2 with one line naming it', async () => {
  const { code, stderr } = await runCli(['--error-rate', '2']);
  assert.equal(code, 2);
  assert.equal(stderr.trim().split('\n').length, 1, stderr);
  assert.match(stderr, /--error-rate/);
});

test('a port in use exits 1 with one line naming the address', async () => {
  await withTarget(async (target) => {
    const { code, stderr } = await runCli(['--port', String(target.port)]);
    assert.equal(code, 1);
    assert.equal(stderr.trim().split('\n').length, 1, stderr);
    assert.match(stderr, new RegExp(`127\\.0\\.0\\.1:${target.port}.*in use`));
  });
});

test('--help documents every fault flag and query parameter', async () => {
  const child = spawn(process.execPath, [STAMPEDE_BIN, 'target', '--help'], { stdio: ['ignore', 'pipe', 'inherit'] });
  let stdout = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  assert.equal(code, 0);
  for (const name of ['--delay-ms', '--delay-ms-max', '--error-rate', '--drop-rate', 'delay_ms', 'delay_ms_max', 'error_rate', 'drop_rate']) {
    assert.ok(stdout.includes(name), `help does not mention ${name}`);
  }
});
