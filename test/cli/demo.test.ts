import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, describe, it } from 'node:test';
import { planDemoKafka } from '../../src/cli/demo/demoKafka.js';
import { isListening } from '../../src/cli/demo/ports.js';
import { testBrokers } from '../helpers/kafka.js';
import { freePort, startCli, stopAllChildren } from '../helpers/processes.js';

const DEMO_TIMEOUT_MS = 240_000;

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("the demo's choice of broker", () => {
  const notRunning = { running: false as const, dataDir: '.stampede/kafka', brokers: [] };
  const embeddedOn = (port: number) => ({ running: true as const, pid: 42, port, address: `127.0.0.1:${port}`, dataDir: '.stampede/kafka', brokers: [], security: { tls: false }, missing: 0 });
  const freePort = async () => 45_000;

  it('leaves a broker it did not start alone on the default port, and starts its own on a free one', async () => {
    const plan = await planDemoKafka({ port: 9092, portGiven: false, portListening: true, embedded: notRunning, freePort });
    assert.deepEqual(plan, {
      use: 'start',
      port: 45_000,
      notice: "127.0.0.1:9092 already has a broker (or another program) the demo did not start; leaving it alone and starting the demo's own on 45000 (pass --kafka-port 9092 to use that one)",
    });
  });

  it('uses a broker it did not start when --kafka-port names it, and says so', async () => {
    const plan = await planDemoKafka({ port: 9092, portGiven: true, portListening: true, embedded: notRunning, freePort });
    assert.deepEqual(plan, { use: 'foreign', brokers: '127.0.0.1:9092', notice: 'using the broker already running at 127.0.0.1:9092, which the demo did not start (named by --kafka-port)' });
  });

  it('starts its own on a free default port, and uses its own embedded broker when that already runs', async () => {
    assert.deepEqual(await planDemoKafka({ port: 9092, portGiven: false, portListening: false, embedded: notRunning, freePort }), { use: 'start', port: 9092, notice: undefined });
    const own = await planDemoKafka({ port: 9092, portGiven: false, portListening: true, embedded: embeddedOn(9092), freePort });
    assert.equal(own.use, 'embedded');
    await assert.rejects(planDemoKafka({ port: 9500, portGiven: true, portListening: false, embedded: embeddedOn(9092), freePort }), /--kafka-port 9500: the demo's own broker already runs on 9092/);
  });
});

describe('stampede demo --exit', () => {
  after(() => stopAllChildren());

  it('runs both tests on the running broker, prints both summaries, and leaves no process behind', { timeout: DEMO_TIMEOUT_MS + 30_000 }, async () => {
    const kafkaPort = Number(testBrokers()[0]!.split(':').pop());
    const [port, targetPort] = [await freePort(), await freePort()];
    const demo = startCli(['demo', '--exit', '--drivers', '2', '--kafka-port', String(kafkaPort), '--port', String(port), '--target-port', String(targetPort)]);
    const timer = setTimeout(() => demo.process.kill('SIGTERM'), DEMO_TIMEOUT_MS);
    const code = await demo.exited;
    clearTimeout(timer);
    const stdout = demo.stdout();

    assert.equal(code, 0, `stdout:\n${stdout}\nstderr:\n${demo.stderr()}`);
    assert.match(stdout, /^kafka +using the broker already running at 127\.0\.0\.1:\d+, which the demo did not start \(named by --kafka-port\)$/m);
    assert.match(stdout, /\(TSUNAMI, 200 requests per driver × 2\) completed after/);
    assert.match(stdout, /\(AVALANCHE, 5000 requests per driver × 2\) completed after/);
    assert.equal(stdout.match(/^ {2}overall +\d+ /gm)?.length, 2, stdout);
    assert.match(stdout, /^ {2}overall +400 +0 \(0\.00%\)/m);
    assert.match(stdout, /^ {2}overall +10000 +0 \(0\.00%\)/m);
    assert.ok(stdout.includes(`dashboard: http://127.0.0.1:${port}/`), stdout);

    const pids = [...stdout.matchAll(/^(\S+) +pid (\d+)/gm)].map((m) => ({ name: m[1]!, pid: Number(m[2]) }));
    assert.deepEqual(pids.map((p) => p.name).sort(), ['demo-driver-1', 'demo-driver-2', 'orchestrator', 'target']);
    assert.deepEqual(pids.filter((p) => isAlive(p.pid)), [], 'every child the demo started has exited');
    assert.equal(await isListening(port), false, 'the orchestrator port is free again');
    assert.equal(await isListening(targetPort), false, 'the target port is free again');
    assert.equal(await isListening(kafkaPort), true, 'the broker the demo did not start is still running');
  });

  it('refuses a port in use with one line naming the flag and exit 2, starting nothing', async () => {
    const occupied = createServer();
    await new Promise<void>((resolve) => occupied.listen(0, '127.0.0.1', resolve));
    const busyPort = (occupied.address() as { port: number }).port;
    try {
      const demo = startCli(['demo', '--exit', '--port', String(busyPort), '--target-port', String(await freePort())]);
      assert.equal(await demo.exited, 2);
      assert.equal(demo.stderr().trim(), `stampede: --port: 127.0.0.1:${busyPort} is already in use; pick another with --port`);
      assert.equal(demo.stdout(), '');
    } finally {
      occupied.close();
    }
  });
});
