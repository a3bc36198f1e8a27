import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { KafkaBus } from '../../src/bus/index.js';
import { commandSecrets } from '../../src/cli/commandSecrets.js';
import { newTestId, signMessage, type MetricsMessage } from '../../src/protocol/index.js';
import { startDriverProcess, type DriverProcess } from '../helpers/driverProcess.js';
import { connectTestBus, subscribeInbox, testBrokers, type Inbox } from '../helpers/kafka.js';
import { kcatProduce } from '../helpers/kcat.js';
import { eventually, postJson, startOrchestratorProcess, stopAllChildren, tempDir } from '../helpers/processes.js';
import { startRecordingServer, type RecordingServer } from '../helpers/recordingServer.js';

const SECRET = `it-secret-${randomBytes(8).toString('hex')}`;
const COUNT = 5;
const dir = tempDir('stampede-signed-');
const secretFile = join(dir, 'secret');
writeFileSync(secretFile, `\n  ${SECRET}  \n`);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A spec-shaped config for one driver, as kcat would send it: every value a string. */
function configFor(nodeId: string, testId: string): Record<string, unknown> {
  return { test_id: testId, test_type: 'AVALANCHE', test_message_delay: '0', message_count_per_driver: String(COUNT), driver_ids: [nodeId] };
}

function kcatJson(topic: string, message: Record<string, unknown>): void {
  kcatProduce(topic, JSON.stringify(message));
}

function stampede(args: string[], env: Record<string, string | undefined> = {}) {
  const result = spawnSync(process.execPath, ['bin/stampede.js', ...args], { encoding: 'utf8', timeout: 30_000, env: { ...process.env, ...env } });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('signed commands (real Kafka, kcat, driver processes)', () => {
  let bus: KafkaBus;
  let inbox: Inbox<'register' | 'metrics'>;
  let closeInbox: () => Promise<void>;
  let target: RecordingServer;

  const registered = async (nodeId: string): Promise<string> => {
    const found = await inbox.waitFor((d) => d.topic === 'register' && d.message.node_id === nodeId, 10_000, `the register message of ${nodeId}`);
    return found.topic === 'register' ? found.message.node_IP : '';
  };
  const refusedCount = async (nodeIp: string, reason: string): Promise<number> => {
    const text = await (await fetch(`http://${nodeIp}/metrics`)).text();
    const match = new RegExp(`^stampede_driver_commands_refused_total\\{[^}]*reason="${reason}"\\} (\\d+)$`, 'm').exec(text);
    return match ? Number(match[1]) : 0;
  };
  const waitForFinal = async (nodeId: string, testId: string): Promise<MetricsMessage> => {
    const found = await inbox.waitFor((d) => d.topic === 'metrics' && d.message.node_id === nodeId && d.message.test_id === testId && d.message.final === true, 20_000, `the final report of ${testId}`);
    return found.message as MetricsMessage;
  };
  const reportsOf = (testId: string) => inbox.received.filter((d) => d.topic === 'metrics' && d.message.test_id === testId);

  before(async () => {
    bus = await connectTestBus(`signed-test-${randomBytes(3).toString('hex')}`);
    ({ inbox, close: closeInbox } = await subscribeInbox(bus, ['register', 'metrics']));
    target = await startRecordingServer();
  });

  after(async () => {
    await stopAllChildren();
    await closeInbox?.();
    await bus?.close();
    await target?.close();
  });

  describe('a driver with the secret', () => {
    const nodeId = `driver-signed-${randomBytes(4).toString('hex')}`;
    const driverArgs = () => ['--kafka', testBrokers().join(','), '--orchestrator', '127.0.0.1:7070', '--store', join(dir, 'signed.db'), '--id', nodeId, '--target', target.url, '--secret-file', secretFile];
    let driver: DriverProcess;
    let nodeIp: string;
    /** A test that ran, with its signed commands, for replaying them later. */
    let ran: { testId: string; signedAtMs: number; config: Record<string, unknown>; trigger: Record<string, unknown> } | undefined;

    before(async () => {
      driver = await startDriverProcess(driverArgs());
      nodeIp = await registered(nodeId);
    });
    after(async () => {
      await driver?.kill();
    });

    it('says nothing about running without a secret', () => {
      assert.doesNotMatch(driver.logs(), /no command secret/);
    });

    it('refuses a forged test_config and trigger published with kcat: the target receives zero requests', async () => {
      const unsignedTest = newTestId();
      kcatJson('test_config', configFor(nodeId, unsignedTest));
      kcatJson('trigger', { test_id: unsignedTest, trigger: 'YES' });
      const wrongKeyTest = newTestId();
      const forgedAt = Date.now();
      kcatJson('test_config', signMessage('test_config', configFor(nodeId, wrongKeyTest), 'a guessed secret', forgedAt));
      kcatJson('trigger', signMessage('trigger', { test_id: wrongKeyTest, trigger: 'YES' }, 'a guessed secret', forgedAt));
      await eventually(() => refusedCount(nodeIp, 'unsigned'), (n) => n >= 2, 15_000, 'two unsigned commands refused');
      await eventually(() => refusedCount(nodeIp, 'bad_signature'), (n) => n >= 2, 15_000, 'two wrongly signed commands refused');
      // The trigger may have been read before the config: give a config that slipped through time to run.
      await sleep(1_000);
      assert.equal(target.arrivals.length, 0);
      assert.deepEqual([...reportsOf(unsignedTest), ...reportsOf(wrongKeyTest)], []);
      assert.match(driver.logs(), /"reason":"unsigned"[^\n]*"msg":"unverified command refused"/);
    });

    it('refuses a replayed trigger signed more than 60 s ago, then runs the test on a fresh one; an exact replay of that is refused too', async () => {
      const testId = newTestId();
      const now = Date.now();
      const config = signMessage('test_config', configFor(nodeId, testId), SECRET, now);
      kcatJson('test_config', config);
      kcatJson('trigger', signMessage('trigger', { test_id: testId, trigger: 'YES' }, SECRET, now - 120_000));
      await eventually(() => refusedCount(nodeIp, 'stale'), (n) => n >= 1, 15_000, 'the stale trigger refused');
      await sleep(1_000);
      assert.equal(target.arrivals.length, 0, 'the stale trigger started the test');
      assert.deepEqual(reportsOf(testId), []);

      const fresh = signMessage('trigger', { test_id: testId, trigger: 'YES' }, SECRET, Date.now());
      kcatJson('trigger', fresh);
      const final = await waitForFinal(nodeId, testId);
      assert.equal(final.outcome, 'completed');
      assert.equal(final.completed, COUNT);
      assert.equal(target.arrivals.length, COUNT);

      kcatJson('trigger', fresh);
      await eventually(() => refusedCount(nodeIp, 'replayed'), (n) => n >= 1, 15_000, 'the exact replay refused');
      assert.equal(target.arrivals.length, COUNT);
      ran = { testId, signedAtMs: now, config, trigger: fresh };
    });

    it("obeys the orchestrator started with the same secret file: its test runs to completion", async () => {
      const orchestrator = await startOrchestratorProcess(join(dir, 'orchestrator.db'), undefined, ['--secret-file', secretFile]);
      assert.match(orchestrator.child.stdout(), /commands signed/);
      await eventually(
        async () => ((await (await fetch(`${orchestrator.url}/api/drivers`)).json()) as { node_id: string; status: string }[]),
        (drivers) => drivers.some((d) => d.node_id === nodeId && d.status === 'alive'),
        15_000,
        'the driver alive on the orchestrator',
      );
      const before = target.arrivals.length;
      const created = await postJson<{ test_id: string }>(`${orchestrator.url}/api/tests`, {
        test_type: 'TSUNAMI',
        test_message_delay: 5,
        message_count_per_driver: COUNT,
        target_url: target.url,
        drivers: [nodeId],
        trigger: true,
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const test = await eventually(
        async () => ((await (await fetch(`${orchestrator.url}/api/tests/${created.body.test_id}`)).json()) as { state: string }),
        (t) => t.state !== 'created' && t.state !== 'running',
        30_000,
        'the test to finish',
      );
      assert.equal(test.state, 'completed');
      assert.equal(target.arrivals.length - before, COUNT);
      assert.equal(await refusedCount(nodeIp, 'unsigned'), 2, 'a command of the orchestrator was refused as unsigned');
      assert.equal(await refusedCount(nodeIp, 'bad_signature'), 2, 'a command of the orchestrator was refused as wrongly signed');
    });

    it('after a restart with the same store, refuses to run a test again on its replayed commands (still within 60 s)', async () => {
      assert.ok(ran, 'the replay test ran first');
      await driver.kill();
      driver = await startDriverProcess(driverArgs());
      assert.ok(Date.now() - ran.signedAtMs < 50_000, 'the replay must fall inside the signature window to test this');
      const arrivals = target.arrivals.length;
      const reports = reportsOf(ran.testId).length;
      kcatJson('test_config', ran.config);
      kcatJson('trigger', ran.trigger);
      await eventually(async () => driver.logs(), (logs) => /received before this driver restarted ignored/.test(logs), 15_000, 'the replayed config ignored');
      await eventually(async () => driver.logs(), (logs) => /repeated trigger ignored/.test(logs), 15_000, 'the replayed trigger ignored');
      assert.equal(target.arrivals.length, arrivals);
      assert.equal(reportsOf(ran.testId).length, reports);
    });
  });

  describe('a driver without a secret', () => {
    it('warns once at start and still runs a spec-only (unsigned) config published with kcat', async () => {
      const nodeId = `driver-open-${randomBytes(4).toString('hex')}`;
      const driver = await startDriverProcess(['--kafka', testBrokers().join(','), '--orchestrator', '127.0.0.1:7070', '--store', join(dir, 'open.db'), '--id', nodeId, '--target', target.url]);
      try {
        await registered(nodeId);
        const before = target.arrivals.length;
        const testId = newTestId();
        kcatJson('test_config', configFor(nodeId, testId));
        kcatJson('trigger', { test_id: testId, trigger: 'YES' });
        const final = await waitForFinal(nodeId, testId);
        assert.equal(final.outcome, 'completed');
        assert.equal(target.arrivals.length - before, COUNT);
        assert.equal(driver.logs().match(/no command secret/g)?.length, 1, driver.logs());
      } finally {
        await driver.kill();
      }
    });
  });
});

describe('--secret-file and STAMPEDE_SECRET (command line)', () => {
  const emptyFile = join(dir, 'empty');
  writeFileSync(emptyFile, ' \n\n');
  const missingFile = join(dir, 'missing');
  const required = { driver: ['--kafka', '127.0.0.1:9', '--orchestrator', '127.0.0.1:7070'], orchestrator: ['--kafka', '127.0.0.1:9', '--orchestrator', '127.0.0.1:7070'] };

  for (const command of ['driver', 'orchestrator'] as const) {
    it(`${command}: --help describes --secret-file`, () => {
      const { code, stdout } = stampede([command, '--help']);
      assert.equal(code, 0);
      assert.match(stdout, /--secret-file FILE/);
    });

    for (const [what, file, pattern] of [
      ['a missing', missingFile, /cannot read it \(ENOENT\)/],
      ['an empty', emptyFile, /is empty/],
    ] as const) {
      it(`${command}: ${what} secret file exits 2 with one line naming it`, () => {
        const { code, stderr } = stampede([command, ...required[command], '--secret-file', file]);
        assert.equal(code, 2, stderr);
        assert.equal(stderr.trim().split('\n').length, 1, stderr);
        assert.ok(stderr.includes(`--secret-file ${file}`), stderr);
        assert.match(stderr, pattern);
      });
    }

    it(`${command}: an empty STAMPEDE_SECRET exits 2 naming it`, () => {
      const { code, stderr } = stampede([command, ...required[command]], { STAMPEDE_SECRET: '  ' });
      assert.equal(code, 2, stderr);
      assert.match(stderr, /STAMPEDE_SECRET must not be empty/);
    });
  }
});

describe('commandSecrets', () => {
  it('reads every line of every file in order, trimmed, and prefers the files to STAMPEDE_SECRET', () => {
    const first = join(dir, 'first');
    const second = join(dir, 'second');
    writeFileSync(first, ' new \r\n\n old\n');
    writeFileSync(second, 'other\n');
    process.env.STAMPEDE_SECRET = 'from-env';
    try {
      assert.deepEqual(commandSecrets([first, second]), ['new', 'old', 'other']);
      assert.deepEqual(commandSecrets(undefined), ['from-env']);
      delete process.env.STAMPEDE_SECRET;
      assert.deepEqual(commandSecrets(undefined), []);
    } finally {
      delete process.env.STAMPEDE_SECRET;
    }
  });
});
