import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, describe, it } from 'node:test';
import { stripVTControlCharacters } from 'node:util';
import { closestName } from '../../src/cli/closestName.js';
import { loadedModules } from '../helpers/loadedModules.js';
import { eventually, startCli, stopAllChildren } from '../helpers/processes.js';

/** Runs a command that must refuse its arguments before doing anything (no broker, no orchestrator needed). */
async function refused(args: string[]): Promise<{ code: number | null; stderr: string; stdout: string }> {
  const child = startCli(args);
  const timer = setTimeout(() => child.process.kill('SIGKILL'), 30_000);
  const code = await child.exited;
  clearTimeout(timer);
  return { code, stderr: child.stderr(), stdout: child.stdout() };
}

function assertOneLine(result: { code: number | null; stderr: string; stdout: string }, expected: string): void {
  assert.equal(result.code, 2, result.stderr);
  assert.equal(result.stderr, `stampede: ${expected}\n`);
  assert.equal(result.stdout, '');
}

describe('the closest known name', () => {
  it('forgives one typo in a short name, a third of a long one, swapped letters and a prefix', () => {
    const known = ['count', 'concurrency', 'delay-ms', 'drivers', 'orchestrator', 'help'];
    assert.equal(closestName('cout', known), 'count');
    assert.equal(closestName('concurency', known), 'concurrency');
    assert.equal(closestName('dirvers', known), 'drivers');
    assert.equal(closestName('conc', known), 'concurrency');
    assert.equal(closestName('orchestrater', known), 'orchestrator');
    assert.equal(closestName('zzzz', known), undefined);
  });
});

describe('flag mistakes, on every subcommand: one line, exit 2', () => {
  after(() => stopAllChildren());

  for (const [command, typo, meant] of [
    ['run', '--cout', '--count'],
    ['demo', '--driver', '--drivers'],
    ['driver', '--concurency', '--concurrency'],
    ['orchestrator', '--kakfa', '--kafka'],
    ['target', '--error-rat', '--error-rate'],
    ['kafka', '--prot', '--port'],
  ] as const) {
    it(`stampede ${command} ${typo}: did you mean ${meant}?`, async () => {
      const args = command === 'kafka' ? ['kafka', 'start', typo, '1'] : [command, typo, '1'];
      assertOneLine(await refused(args), `unknown option ${typo}; did you mean ${meant}?`);
    });
  }

  it('an unknown flag nothing resembles points to --help; an unknown command or kafka action to the closest', async () => {
    assertOneLine(await refused(['driver', '--zzzzzz']), 'unknown option --zzzzzz (try `stampede driver --help`)');
    assertOneLine(await refused(['orchestrator', '-x']), 'unknown option -x (try `stampede orchestrator --help`)');
    assertOneLine(await refused(['rnu']), 'unknown command "rnu"; did you mean "run"?');
    assertOneLine(await refused(['kafka', 'strat']), 'unknown kafka action "strat"; did you mean "start"?');
  });

  it('a negative number is judged by the flag, not called an ambiguous argument', async () => {
    const base = ['run', '--orchestrator', '127.0.0.1:1', '--target', 'http://127.0.0.1:1/', '--type', 'tsunami', '--delay-ms', '1'];
    assertOneLine(await refused([...base, '--count', '5', '--warmup', '-1']), '--warmup must be a count of requests (200) or a duration (10s), got "-1"');
    assertOneLine(await refused([...base, '--count', '-5']), '--count must be a positive integer, got "-5"');
    assertOneLine(await refused(['target', '--error-rate', '-0.5']), '--error-rate must be a number from 0 to 1, got "-0.5"');
    assertOneLine(await refused(['demo', '--drivers', '-2']), '--drivers must be a positive integer, got "-2"');
  });

  it('a flag missing its value, or a switch given one, says so', async () => {
    assertOneLine(await refused(['run', '--count', '--rate', '5']), '--count needs a value, but the next argument is the option --rate');
    assertOneLine(await refused(['driver', '--kafka']), '--kafka needs a value');
    assertOneLine(await refused(['demo', '--exit=yes']), '--exit takes no value, got "yes"');
  });

  it('a flag given twice, or two that contradict each other, names both', async () => {
    assertOneLine(await refused(['run', '--target', 'http://127.0.0.1:1/a', '--target', 'http://127.0.0.1:1/b']), '--target is given twice ("http://127.0.0.1:1/a" and "http://127.0.0.1:1/b"); give it once');
    assertOneLine(await refused(['target', '--port', '0', '--port', '1']), '--port is given twice ("0" and "1"); give it once');
    assertOneLine(
      await refused(['run', '--rate', '100', '--delay-ms', '5']),
      '--rate and --delay-ms contradict each other: they both set the pace (a rate of R per second is a start every 1000/R ms); give one',
    );
  });

  it('--log-format takes json or pretty only', async () => {
    for (const command of ['orchestrator', 'driver', 'target', 'demo']) {
      assertOneLine(await refused([command, '--log-format', 'xml']), '--log-format must be json or pretty, got "xml"');
    }
  });
});

describe('logs', () => {
  after(() => stopAllChildren());

  const firstLogLine = async (extra: string[]): Promise<string> => {
    const target = startCli(['target', '--port', '0', ...extra]);
    await target.waitForLine(/target listening on/);
    target.process.kill('SIGTERM');
    await target.exited;
    return target.stderr().split('\n')[0] ?? '';
  };

  it('are JSON when stderr is not a terminal, and human-readable with --log-format pretty', async () => {
    const json = JSON.parse(await firstLogLine([])) as { msg: string; name: string };
    assert.equal(json.msg, 'target listening');
    assert.equal(json.name, 'target');
    const pretty = await firstLogLine(['--log-format', 'pretty']);
    assert.match(pretty, /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO \(target\): target listening$/);
  });

  it('are human-readable on a terminal without any flag (util-linux `script` gives the process one)', async () => {
    // `timeout` ends the target even if `script` dies without passing our signal on.
    const command = `timeout 60 ${process.execPath} bin/stampede.js target --port 0`;
    const terminal = spawn('script', ['-qfec', command, '/dev/null'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    terminal.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise((resolve) => terminal.once('exit', resolve));
    try {
      await eventually(async () => output, (text) => /target listening on/.test(text), 30_000, 'the target to start under a terminal');
    } finally {
      terminal.kill('SIGTERM');
      await exited;
    }
    const plain = stripVTControlCharacters(output);
    assert.match(plain, /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO \(target\): target listening\r?$/m);
    assert.doesNotMatch(plain, /"level":/);
  });
});

describe('stampede driver --ca-file', () => {
  it('names a CA file that cannot be read or holds no certificate, exit 2', async () => {
    assertOneLine(await refused(['driver', '--kafka', '127.0.0.1:1', '--orchestrator', '127.0.0.1:2', '--ca-file', '/nonexistent/ca.pem']), '--ca-file /nonexistent/ca.pem cannot be read: ENOENT');
    assertOneLine(await refused(['driver', '--kafka', '127.0.0.1:1', '--orchestrator', '127.0.0.1:2', '--ca-file', 'package.json']), '--ca-file package.json holds no PEM certificate (-----BEGIN CERTIFICATE-----)');
  });
});


describe('help and a flag mistake, before the program loads', () => {
  // The packages each program loads once its flags are good; a mistake must not wait for them (0.5-0.8 s).
  const PROGRAM_PACKAGES = ['@platformatic/kafka', 'zod', 'better-sqlite3', 'fastify', 'undici', 'prom-client'];
  for (const args of [['driver', '--help'], ['driver', '--concurency', '1'], ['orchestrator', '--kakfa', 'x'], ['target', '--help'], ['kafka', 'start', '--prot', '1'], ['kafka', 'status', '--data-dir', '/nonexistent/kafka']]) {
    it(`stampede ${args.join(' ')} loads none of ${PROGRAM_PACKAGES.join(', ')}`, async () => {
      const { loaded, stderr } = await loadedModules('bin/stampede.js', args);
      assert.ok(loaded.some((url) => url.endsWith('/cli/main.js')), `the hooks saw no module:\n${stderr}`);
      const packages = loaded.filter((url) => PROGRAM_PACKAGES.some((name) => url.includes(`/node_modules/${name}/`)));
      assert.deepEqual(packages, []);
    });
  }
});
