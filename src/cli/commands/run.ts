import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { dirname, extname } from 'node:path';
import { accessToken, parseCommandFlags, parseFlags, parseHostPort, requireString, type OptionSpec } from '../args.js';
import { watchInterrupt } from '../interrupt.js';
import { OrchestratorClient, OrchestratorError, type CreateTestBody, type TestDetailView } from '../run/orchestratorClient.js';
import { createProgressView, type ProgressMode } from '../run/progressView.js';
import { readScenarioFile } from '../run/scenarioFile.js';
import { resolveDataFiles, uploadDataFiles, type DataUpload } from '../run/dataFiles.js';
import { summaryTable } from '../run/summaryTable.js';
import { runTestSession } from '../run/testSession.js';
import { steeringLine } from '../run/steeringKeys.js';
import { capacityTable } from '../run/capacityTable.js';
import { watchKeys } from '../run/keyboard.js';
import { scenarioTest, TEST_KEY_NAMES, TEST_KEYS, toFieldError, type Scenario, type ScenarioIssue, type TestKeyName } from '../../api/index.js';
import { FLAG_OF_FIELD, keysFromFlags, targetUrl, testFlagsHelp, TEST_FLAG_OPTIONS, type TestFlagValues } from '../run/testFlags.js';
import { oneStepScenario, SCENARIO_FLAGS, type ScenarioFlagValues } from '../run/oneStepScenario.js';
import { readPlanFile, runPlanSession } from '../run/planSession.js';
import { planExitCode, planJson, planSummary } from '../run/planSummary.js';
import { evaluateThresholds, judgesErrors, parseThresholds, thresholdReport, type Threshold, type ThresholdResult } from '../../api/thresholds.js';
import { UsageError } from '../usageError.js';
import { htmlReport, machineInfo } from '../../report/index.js';
import type { CapacityView, TestReportView } from '../../api/index.js';
import type { Figures } from '../../orchestrator/testFigures.js';
import { EXECUTOR_NAMES, MAX_PLANNED_REQUESTS, TEST_TYPES } from '../../protocol/index.js';

/** A long list as --help lines of at most 100 characters, indented to the help column. */
function wrapped(text: string, column: number): string {
  const lines: string[] = [];
  for (const word of text.split(' ')) {
    const last = lines.at(-1);
    if (last !== undefined && column + last.length + 1 + word.length <= 100) lines[lines.length - 1] = `${last} ${word}`;
    else lines.push(word);
  }
  return lines.map((line) => `${' '.repeat(column)}${line}`).join('\n');
}

const USAGE = `Usage: stampede run --orchestrator HOST:PORT --target URL --type ${TEST_TYPES.map((name) => name.toLowerCase()).join('|')} (--count N | --duration D | --stage D:R …) [options]

Creates and triggers a test through the orchestrator's REST API, shows live progress (a bar per
driver on a terminal, one plain line per second otherwise), prints the summary and checks thresholds.

Options:
  --orchestrator HOST:PORT  the orchestrator's REST API (required, e.g. 127.0.0.1:7070)
${testFlagsHelp()}
  --executor NAME           a one-step scenario of the --target request, run by virtual users:
${wrapped(EXECUTOR_NAMES.join(', '), 28)}
                            (default per-vu-iterations with --iterations, else constant-vus)
  --vus N                   its VUs per driver (max_vus for an arrival rate, start_vus for ramping-vus)
  --iterations N            per-vu-iterations / shared-iterations: iterations per VU / per driver
  --method M                the HTTP method (default GET, or POST with --body)
  -H, --header 'Name: v'    a request header; repeatable
  --body STRING|@FILE       the request body, as is (templates such as {{seq}} and {{uuid}} work in
                            the body, header values and the URL)
  --scenario FILE           the test in a YAML or JSON file, keyed by these options' long names with _
                            for -, and scenarios (user journeys, see the README):
${wrapped(TEST_KEY_NAMES.join(', '), 28)}
                            a flag given here wins over the file's key
  --token TOKEN             the orchestrator's access token, if it was started with one
                            (STAMPEDE_TOKEN works too and keeps it out of the process list)
  --plan FILE               run a plan file (YAML or JSON) instead of one test: its tests one after
                            another, each retried up to its retries; only --orchestrator, --token
                            and --json go with it (see the README's "Test plans")
  --out FILE                write the report; repeatable, one file per format:
                              FILE.json (as --json prints), FILE.csv (the REST CSV), or
                              FILE.html (one self-contained page: tables, charts, thresholds)
  --json                    print only the JSON result on stdout (the report plus "thresholds")
  -h, --help                show this help

Exit codes:
  0    passed
  1    the test failed or was cancelled (its reason is printed); every request failed and no
       --threshold on errors accepts that; or the orchestrator could not be reached or refused the test
  2    a bad argument or file
  99   a threshold failed (with --plan: some test failed a threshold and none failed outright)
  130  interrupted: the test is cancelled, and the summary printed once the drivers' final reports
       are in (up to the request timeout + 1 s)

Warnings: a driver that started more than 1 % of its requests late is named in the summary (its
latencies include that wait); "no data from Kafka for N s" when the orchestrator hears nothing for
more than 3 s during the test.`;

const OPTIONS = {
  orchestrator: { type: 'string' },
  ...TEST_FLAG_OPTIONS,
  executor: { type: 'string' },
  vus: { type: 'string' },
  iterations: { type: 'string' },
  scenario: { type: 'string' },
  method: { type: 'string' },
  header: { type: 'string', short: 'H', multiple: true },
  body: { type: 'string' },
  token: { type: 'string' },
  out: { type: 'string', multiple: true },
  json: { type: 'boolean' },
  plan: { type: 'string' },
  'find-capacity': { type: 'boolean' },
  slo: { type: 'string', multiple: true },
  from: { type: 'string' },
  to: { type: 'string' },
  'step-s': { type: 'string' },
} as const satisfies OptionSpec;

/** The capacity search's flags: each is the search's field of the same name. */
const CAPACITY_FLAGS = { slo: 'slo', from: 'from', to: 'to', 'step-s': 'step_s' } as const;

/** Flags that --plan allows; every other one belongs in the plan file. */
const PLAN_FLAGS = new Set(['orchestrator', 'token', 'json', 'plan']);

/** Which flag set each request field, so the API's "field: problem" can name the flag too. */
const FLAG_OF_REQUEST_PART: Record<string, string> = {
  'requests[0].url': '--target',
  'requests[0].method': '--method',
  'requests[0].headers': '--header',
  'requests[0].body': '--body',
};

/**
 * The flag behind a field the API named: `stages[2].target_rps` came from the third --stage,
 * `requests[0].headers.x` from --header.
 */
function flagOfField(field: string): string | undefined {
  return requestPartFlag(field) ?? FLAG_OF_FIELD[field.split(/[.[]/)[0]!];
}

/** The flag behind a part of the one request --target, --method, --header and --body make. */
function requestPartFlag(field: string): string | undefined {
  return Object.entries(FLAG_OF_REQUEST_PART).find(([prefix]) => field === prefix || field.startsWith(`${prefix}.`))?.[1];
}

export const EXIT_THRESHOLD_FAILED = 99;
const EXIT_INTERRUPTED = 130;

/** The run-only flags typed; the test keys' flags (derived from src/api/testKeys.ts) by name. */
type FlagValues = ReturnType<typeof parseFlags<typeof OPTIONS>>['values'] & TestFlagValues;

/** A flag that takes one value (a test key's flag is typed only by its name). */
function textFlag(values: FlagValues, flag: string): string | undefined {
  const value = values[flag];
  return typeof value === 'string' ? value : undefined;
}
type Settings = { orchestrator: { host: string; port: number }; token: string | undefined; body: CreateTestBody; uploads: DataUpload[]; thresholds: Threshold[]; out: string[]; json: boolean };
type JsonResult = Record<string, unknown> & { thresholds: ThresholdResult[] };

const OUT_EXTENSIONS = ['.json', '.csv', '.html'];

function parseOut(values: readonly string[]): string[] {
  for (const value of values) {
    if (!OUT_EXTENSIONS.includes(extname(value).toLowerCase())) throw new UsageError(`--out must name a .json, .csv or .html file, got "${value}"`);
  }
  return [...values];
}

/**
 * `--target` alone is one GET (the spec's target_url); with --method, --header or --body it becomes one
 * request of the `requests` extension. A body without a method is a POST, as curl has it.
 */
function targetRequests(url: string, values: FlagValues): Pick<CreateTestBody, 'target_url' | 'requests'> {
  const { method, header, body } = values;
  if (method === undefined && header === undefined && body === undefined) return { target_url: url };
  const requestBody = body === undefined ? undefined : bodyOf(body);
  return {
    requests: [
      {
        method: (method ?? (requestBody === undefined ? 'GET' : 'POST')).toUpperCase() as NonNullable<CreateTestBody['requests']>[number]['method'],
        url,
        ...(header === undefined ? {} : { headers: headersOf(header) }),
        ...(requestBody === undefined ? {} : { body: requestBody }),
      },
    ],
  };
}

/** `Name: value`, as curl's -H; the same name twice is refused rather than one silently winning. */
function headersOf(lines: string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon <= 0) throw new UsageError(`--header must be 'Name: value', got "${line}"`);
    const name = line.slice(0, colon).trim();
    if (Object.keys(headers).some((known) => known.toLowerCase() === name.toLowerCase())) throw new UsageError(`--header ${name} is given twice; give it once`);
    headers[name] = line.slice(colon + 1).trim();
  }
  return headers;
}

/** `@FILE` reads the body from a file, as curl's -d @FILE. */
function bodyOf(value: string): string {
  if (!value.startsWith('@')) return value;
  const file = value.slice(1);
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`--body @${file} cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

/** Flags that each set the same thing: given together, one would silently win. */
const CONTRADICTIONS: [string, string, string][] = [
  ['rate', 'delay-ms', 'both set the pace (a rate of R per second is a start every 1000/R ms); give one'],
  ['stage', 'rate', 'both set the rate (the stages ramp it); give one'],
  ['stage', 'delay-ms', 'both set the gaps between requests (the stages set them); give one'],
  ['stage', 'duration', 'both set how long the test runs (the stages add up to it); give one'],
  ['stage', 'count', 'both set the count (the stages plan it: their integral); give one'],
];

function refuseContradictions(values: FlagValues): void {
  for (const [first, second, why] of CONTRADICTIONS) {
    const given = values as Record<string, unknown>;
    if (given[first] !== undefined && given[second] !== undefined) throw new UsageError(`--${first} and --${second} contradict each other: they ${why}`);
  }
}

/**
 * A test from flags alone needs a target, a type and something that sets the count; --start-rate only
 * ramps --stage. A scenario file or a one-step scenario (--vus…) brings its own.
 */
function requireTestFlags(values: FlagValues): void {
  requireString(textFlag(values, 'target'), 'target');
  // A capacity search sets its type, rate and length itself.
  if (values['find-capacity']) return;
  requireString(textFlag(values, 'type'), 'type');
  if (values.stage === undefined && values.duration === undefined && values.count === undefined) throw new UsageError('missing required argument --count (or --duration, or --stage)');
  if (values['start-rate'] !== undefined && values.stage === undefined) throw new UsageError('--start-rate needs --stage (it is the rate the first stage ramps from)');
}

/**
 * One path for every way to say a test: the flags become test keys (src/api/testKeys.ts), laid over a
 * scenario file's keys when there is one (the flags win), and the keys go through the same translation and
 * checks as a plan's tests, so a flag and a file key accept exactly what POST /api/tests accepts.
 */
function parseSettings(values: FlagValues): Settings {
  refuseContradictions(values);
  const oneStep = SCENARIO_FLAGS.some((flag) => values[flag] !== undefined);
  if (oneStep && values.scenario !== undefined) throw new UsageError(`--${SCENARIO_FLAGS.find((flag) => values[flag] !== undefined)} does not go with --scenario: write the scenario in the file`);
  if (oneStep && values.data !== undefined) throw new UsageError('--data is read by scenarios: write them in a --scenario file (see the README\'s "Test data")');
  const search = capacityKeys(values);
  if (values.scenario === undefined && !oneStep) requireTestFlags(values);
  const fromFile = values.scenario === undefined ? {} : readScenarioFile(values.scenario);
  const keys: Scenario = { ...fromFile, ...(oneStep ? oneStepKeys(values) : { ...keysFromFlags(values), ...targetKeys(values) }), ...search };
  const { data, uploads } = resolveDataFiles(keys.data, values.scenario === undefined ? '.' : dirname(values.scenario));
  if (data) keys.data = data;
  const { test, issues } = scenarioTest(keys);
  if (!test) throw new UsageError(`${values.scenario === undefined ? '' : `--scenario ${values.scenario}: `}${issues.map((issue) => describeIssue(issue, values)).join('; ')}`);
  const orchestrator = parseHostPort(requireString(values.orchestrator, 'orchestrator'), 'orchestrator');
  // scenarioTest has parsed each threshold: a mistake was a problem at its key.
  const thresholds = parseThresholds(test.thresholds);
  return { orchestrator, token: accessToken(values.token), body: { ...test.body, trigger: true }, uploads, thresholds, out: parseOut(values.out ?? []), json: values.json ?? false };
}

/**
 * `--find-capacity --slo … [--from R --to R --step-s S]`: the search's key (a TSUNAMI it paces itself);
 * its fields are checked with the test (a bad SLO names --slo). Its flags without --find-capacity are refused.
 */
function capacityKeys(values: FlagValues): Partial<Scenario> {
  const given = Object.keys(CAPACITY_FLAGS).filter((flag) => values[flag as keyof typeof CAPACITY_FLAGS] !== undefined);
  if (!values['find-capacity']) {
    if (given.length > 0) throw new UsageError(`--${given[0]} belongs to a capacity search: add --find-capacity`);
    return {};
  }
  if (values.slo === undefined) throw new UsageError('--find-capacity needs at least one --slo, e.g. --slo "p99<50" --slo "errors<1%"');
  const search: Record<string, unknown> = { slo: values.slo };
  for (const flag of ['from', 'to', 'step-s'] as const) {
    const text = values[flag];
    if (text === undefined) continue;
    const number = Number(text);
    if (!Number.isFinite(number) || number <= 0) throw new UsageError(`--${flag} must be a positive number, got ${JSON.stringify(text)}`);
    search[CAPACITY_FLAGS[flag]] = number;
  }
  return { find_capacity: search, ...(values.type === undefined ? { type: 'tsunami' } : {}) };
}

/** `--vus`, `--iterations`, `--executor` with `--target`: one scenario whose flow is that one request; the load flags are the executor's. */
function oneStepKeys(values: FlagValues): Partial<Scenario> {
  const target = targetUrl(requireString(textFlag(values, 'target'), 'target'), 'target');
  const { requests } = targetRequests(target, values);
  const { drivers, timeout_ms, max_duration, tls_insecure, thresholds } = keysFromFlags(values);
  return { scenarios: oneStepScenario(values as ScenarioFlagValues, requests?.[0] ?? { method: 'GET', url: target }), drivers, timeout_ms, max_duration, tls_insecure, thresholds };
}

/** --target (with --method, --header, --body) replaces what a file sends: its URL, or its mix of requests. */
function targetKeys(values: FlagValues): Partial<Scenario> {
  const target = textFlag(values, 'target');
  if (target === undefined) return {};
  const { target_url, requests } = targetRequests(targetUrl(target, 'target'), values);
  return { target: target_url, requests };
}

/**
 * A problem at a key, said as the user said it: by its flag when the test came from flags (`--delay-ms: …`,
 * `--header: …` for the request --target, --method, --header and --body make); in a file by its key, and
 * the flag too when a flag set it (`count (from --count): …`).
 */
function describeIssue(issue: ScenarioIssue, values: FlagValues): string {
  const field = toFieldError(issue).field;
  const flag = flagOfKeyPath(field);
  if (values.scenario === undefined) {
    // A threshold's own message quotes it: `--threshold "p95<<3" is not valid: …`.
    if (flag === '--threshold') return `--${issue.message}`;
    return `${flag ?? field}: ${issue.message}`;
  }
  const given = flag !== undefined && values[flag.slice(2)] !== undefined;
  return `${given ? `${field} (from ${flag})` : field}: ${issue.message}`;
}

/** The flag behind a key's path: the request --target and its parts make, or the key's own flag. */
function flagOfKeyPath(field: string): string | undefined {
  const ofRequest = requestPartFlag(field);
  if (ofRequest) return ofRequest;
  const ofSearch = Object.entries(CAPACITY_FLAGS).find(([, name]) => field.startsWith(`find_capacity.${name}`))?.[0];
  if (ofSearch) return `--${ofSearch}`;
  const key = keyOfField(field);
  const flag = key === undefined ? null : TEST_KEYS[key].flag;
  return flag === null ? undefined : `--${flag}`;
}

function keyOfField(field: string): TestKeyName | undefined {
  const key = field.split(/[.[]/)[0] ?? field;
  return (TEST_KEY_NAMES as readonly string[]).includes(key) ? (key as TestKeyName) : undefined;
}

/** The live view goes where a person watches: stdout normally, stderr (terminal only) under --json; `say` writes a line there. */
function progressTarget(json: boolean): { mode: ProgressMode; stream: NodeJS.WriteStream; say: (line: string) => void } {
  const mode: ProgressMode = json ? (process.stderr.isTTY ? 'tty' : 'none') : process.stdout.isTTY ? 'tty' : 'plain';
  const stream = json ? process.stderr : process.stdout;
  return {
    mode,
    stream,
    say: (line) => {
      if (mode !== 'none') stream.write(`${line}\n`);
    },
  };
}

function describeCreated(test: TestDetailView): string {
  const { planned_duration_s: seconds, message_count_per_driver: count, scenarios } = test.config;
  if (scenarios) return `test ${test.test_id} triggered: scenarios ${Object.entries(scenarios).map(([name, s]) => `${name} (${s.executor})`).join(', ')} on ${test.driver_ids.join(', ')}`;
  const plan = count === MAX_PLANNED_REQUESTS ? `requests for ${seconds} s` : `${count} requests${seconds === null ? '' : ` over ${seconds} s`}`;
  return `test ${test.test_id} triggered: ${test.config.test_type}, ${plan} per driver on ${test.driver_ids.join(', ')}`;
}

/** The exit code, and the line that says why a run failed when the threshold report does not. */
export type Verdict = { exitCode: number; problem: string | undefined };

/**
 * A failed or cancelled test fails the run whatever the thresholds say (its figures are partial). A
 * test whose every request failed measured nothing but failures: it fails the run too, unless the
 * user's thresholds judge the errors themselves (`errors<=100%` accepts it).
 */
export function verdictFor(test: TestDetailView, thresholds: readonly Threshold[], results: readonly ThresholdResult[]): Verdict {
  if (test.state !== 'completed') return { exitCode: 1, problem: `test ${test.test_id} ${test.state}${test.reason ? `: ${test.reason}` : ''}` };
  if (test.capacity && test.capacity.capacity_rps === null) return { exitCode: 1, problem: firstStepMissed(test.capacity) };
  if (everyRequestFailed(test.aggregate) && !judgesErrors(thresholds)) {
    return { exitCode: 1, problem: allFailedProblem(test.aggregate) };
  }
  return { exitCode: results.some((r) => !r.ok) ? EXIT_THRESHOLD_FAILED : 0, problem: undefined };
}

function firstStepMissed(search: CapacityView): string {
  const first = search.steps[0];
  return `capacity search: even the first step (${search.from} req/s) missed ${first ? first.failed_slos.join(', ') : 'its SLOs'}; try a lower --from`;
}

function everyRequestFailed(figures: Figures): boolean {
  return figures.completed > 0 && figures.error_count >= figures.completed;
}

function allFailedProblem(figures: Figures): string {
  const kinds = Object.entries(figures.errors).filter(([, count]) => count > 0);
  const firstSample = kinds.map(([kind]) => figures.error_samples[kind]?.[0]).find((sample) => sample !== undefined);
  const why = `${kinds.map(([kind, count]) => `${kind} ${count}`).join(', ')}${firstSample ? `; first error: ${firstSample}` : ''}`;
  return `every request failed (${figures.error_count} of ${figures.completed}: ${why}); add --threshold 'errors<=100%' if that is what you expect`;
}

/** `--json` of a capacity search: its answer and its steps at the top, as the issue names them. */
function capacityJson(test: TestDetailView): Record<string, unknown> {
  if (!test.capacity) return {};
  return { capacity_rps: test.capacity.capacity_rps, steps: test.capacity.steps.map((s) => ({ rate: s.rate, p99: s.p99, errors: s.error_rate, ok: s.ok, p50: s.p50, achieved_rps: s.achieved_rps, failed_slos: s.failed_slos })) };
}

/** Red where a person reads it; plain in files and pipes, and with NO_COLOR. */
function red(text: string, stream: NodeJS.WriteStream): string {
  return stream.isTTY && process.env.NO_COLOR === undefined ? `\x1b[31m${text}\x1b[39m` : text;
}

async function reportText(client: OrchestratorClient, file: string, jsonResult: () => Promise<JsonResult>, testId: string): Promise<string> {
  const extension = extname(file).toLowerCase();
  if (extension === '.csv') return client.reportCsv(testId);
  const result = await jsonResult();
  if (extension === '.html') return htmlReport({ report: result as JsonResult & TestReportView, thresholds: result.thresholds, machine: machineInfo(), generated_at: new Date().toISOString() });
  return `${JSON.stringify(result, null, 2)}\n`;
}

async function writeReport(client: OrchestratorClient, file: string, jsonResult: () => Promise<JsonResult>, testId: string): Promise<void> {
  const text = await reportText(client, file, jsonResult, testId);
  await writeFile(file, text).catch((error: Error) => {
    throw new UsageError(`--out ${file}: cannot write the report: ${error.message}`);
  });
}

async function finishRun(client: OrchestratorClient, settings: Settings, test: TestDetailView): Promise<number> {
  const results = evaluateThresholds(settings.thresholds, test.aggregate);
  let cached: Promise<JsonResult> | undefined;
  const jsonResult = () => (cached ??= client.reportJson(test.test_id).then((report) => ({ ...report, thresholds: results, ...capacityJson(test) })));
  const human = settings.json ? (process.stderr.isTTY ? console.error : undefined) : console.log;
  const verdict = verdictFor(test, settings.thresholds, results);
  if (verdict.problem) {
    // Above the summary, and on stderr when --json keeps the human output off the terminal.
    const stream = human === console.log ? process.stdout : process.stderr;
    stream.write(`\n${red(`stampede run: ${verdict.problem}`, stream)}\n`);
  }
  human?.(`\n${summaryTable(test)}`);
  if (test.capacity) human?.(`\n${capacityTable(test.capacity)}`);
  if (results.length > 0) human?.(`\nthresholds:\n${thresholdReport(settings.thresholds, results).map((line) => `  ${line}`).join('\n')}`);
  if (settings.json) process.stdout.write(`${JSON.stringify(await jsonResult(), null, 2)}\n`);
  for (const file of settings.out) {
    await writeReport(client, file, jsonResult, test.test_id);
    human?.(`report written to ${file}`);
  }
  return verdict.exitCode;
}

async function runTest(settings: Settings): Promise<number> {
  const client = new OrchestratorClient(settings.orchestrator, settings.token);
  const { mode, stream, say } = progressTarget(settings.json);
  await uploadDataFiles(client, settings.uploads, say);
  const interrupt = watchInterrupt();
  try {
    let keyProblem: string | null = null;
    const footer = (view: TestDetailView) => `${steeringLine(view)}${keyProblem ? ` · ${keyProblem}` : ''}`;
    const outcome = await runTestSession({
      client,
      body: settings.body,
      progress: createProgressView(mode, stream, Date.now, mode === 'tty' && process.stdin.isTTY ? footer : undefined),
      interrupted: interrupt.signaled,
      ...(mode === 'tty' ? { keys: { listen: (onKey: (key: string) => void) => watchKeys(onKey), onProblem: (problem: string | null) => (keyProblem = problem) } } : {}),
      onCreated: (test) => say(describeCreated(test)),
    });
    if (!outcome.interrupted) return await finishRun(client, settings, outcome.test);
    console.error(`\n${summaryTable(outcome.test)}\nstampede run: interrupted; test ${outcome.test.test_id} cancelled`);
    return EXIT_INTERRUPTED;
  } finally {
    interrupt.dispose();
  }
}

/** The API's refusals: a bad field is the user's argument (exit 2), a conflict is the cluster's state (exit 1). */
function refusalExitCode(error: OrchestratorError): number {
  if (error.status === 400) {
    const flag = error.field ? flagOfField(error.field) : undefined;
    throw new UsageError(flag ? `${flag}: ${error.message}` : error.message);
  }
  console.error(`stampede run: ${error.message}`);
  return 1;
}

/** `--plan FILE`: posts the plan, shows each test live, prints the plan summary (or its JSON). */
async function runPlan(values: FlagValues): Promise<number> {
  const misplaced = Object.keys(values).filter((flag) => !PLAN_FLAGS.has(flag));
  if (misplaced.length > 0) throw new UsageError(`--${misplaced[0]} does not go with --plan: set it in the plan file (as ${misplaced[0]!.replaceAll('-', '_')})`);
  const orchestrator = parseHostPort(requireString(values.orchestrator, 'orchestrator'), 'orchestrator');
  const { body, uploads } = readPlanFile(values.plan!);
  const json = values.json ?? false;
  const client = new OrchestratorClient(orchestrator, accessToken(values.token));
  const { mode, stream, say } = progressTarget(json);
  await uploadDataFiles(client, uploads, say);
  const interrupt = watchInterrupt();
  try {
    const outcome = await runPlanSession({
      client,
      body,
      progress: () => createProgressView(mode, stream),
      say,
      interrupted: interrupt.signaled,
    });
    const lastTests = new Map<string, TestDetailView>();
    for (const test of outcome.plan.tests) {
      const testId = test.attempts.at(-1)?.test_id;
      if (testId) lastTests.set(testId, await client.getTest(testId));
    }
    const human = json ? (process.stderr.isTTY ? console.error : undefined) : console.log;
    const verdict = planExitCode(outcome.plan);
    if (verdict.problem && !outcome.interrupted) {
      const out = human === console.log ? process.stdout : process.stderr;
      out.write(`\n${red(`stampede run: ${verdict.problem}`, out)}\n`);
    }
    human?.(`\n${planSummary(outcome.plan, lastTests)}`);
    if (json) process.stdout.write(`${JSON.stringify(planJson(outcome.plan), null, 2)}\n`);
    if (outcome.interrupted) {
      console.error(`stampede run: interrupted; plan ${outcome.plan.plan_id} cancelled`);
      return EXIT_INTERRUPTED;
    }
    return verdict.exitCode;
  } finally {
    interrupt.dispose();
  }
}

export async function run(argv: string[]): Promise<number> {
  const values = parseCommandFlags(argv, OPTIONS, USAGE, 'run');
  if (!values) return 0;
  if (values.plan !== undefined) {
    try {
      return await runPlan(values);
    } catch (error) {
      if (error instanceof OrchestratorError) return refusalExitCode(error);
      throw error;
    }
  }
  const settings = parseSettings(values);
  try {
    return await runTest(settings);
  } catch (error) {
    if (error instanceof OrchestratorError) return refusalExitCode(error);
    throw error;
  }
}
