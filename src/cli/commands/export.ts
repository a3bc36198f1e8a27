import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { accessToken, parseCommandFlags, parseHostPort, requireString } from '../args.js';
import { OrchestratorClient } from '../run/orchestratorClient.js';
import { UsageError } from '../usageError.js';

const USAGE = `Usage: stampede export --orchestrator HOST:PORT [--since TIME] [--until TIME] [--out FILE] [--token TOKEN]

Writes finished tests' results as JSON Lines, one test a line (its full report, as
GET /api/tests/{id}/report gives it), oldest first: what a team keeps elsewhere before
--retain removes them from the orchestrator. To stdout unless --out names a file.

Options:
  --orchestrator HOST:PORT  the orchestrator to read (required)
  --since TIME              only tests created at or after TIME (ISO-8601, e.g. 2026-12-01 or
                            2026-12-01T08:00:00Z)
  --until TIME              only tests created before TIME
  --out FILE                write to FILE instead of stdout
  --token TOKEN             the orchestrator's token, if it has one (STAMPEDE_TOKEN works too)
  -h, --help                show this help

Exit codes:
  0    written
  1    the orchestrator could not be reached or refused
  2    a bad argument (named)`;

const OPTIONS = { orchestrator: { type: 'string' }, since: { type: 'string' }, until: { type: 'string' }, out: { type: 'string' }, token: { type: 'string' } } as const;
const FINISHED = ['completed', 'failed', 'cancelled'] as const;
const PAGE = 200;

export async function run(argv: string[]): Promise<number> {
  const values = parseCommandFlags(argv, OPTIONS, USAGE, 'export');
  if (!values) return 0;
  const orchestrator = parseHostPort(requireString(values.orchestrator, 'orchestrator'), 'orchestrator');
  const query = new URLSearchParams({ limit: String(PAGE) });
  for (const flag of ['since', 'until'] as const) {
    const text = values[flag];
    if (text !== undefined) query.set(flag, isoTime(text, flag));
  }
  const client = new OrchestratorClient(orchestrator, accessToken(values.token));
  const out: Writable = values.out === undefined ? process.stdout : createWriteStream(values.out);
  const written = await exportTests(client, query, out);
  if (values.out !== undefined) {
    out.end();
    await once(out, 'finish');
    console.error(`${written} tests written to ${values.out}`);
  }
  return 0;
}

/** Every finished test the query matches, oldest first: the history is read newest first, page by page. */
async function exportTests(client: OrchestratorClient, query: URLSearchParams, out: Writable): Promise<number> {
  const ids: string[] = [];
  for (let path: string | null = `/api/tests?${query.toString()}`; path !== null; ) {
    const page = await client.testsPage(path);
    ids.push(...page.tests.filter((test) => (FINISHED as readonly string[]).includes(test.state)).map((test) => test.test_id));
    path = page.next;
  }
  for (const id of ids.reverse()) {
    if (!out.write(`${JSON.stringify(await client.reportJson(id))}\n`)) await once(out, 'drain');
  }
  return ids.length;
}

/** A date or a time as the API takes it: `2026-12-01` is that day's start, UTC. */
function isoTime(text: string, flag: string): string {
  const ms = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(text) ? `${text}T00:00:00Z` : text);
  if (Number.isNaN(ms)) throw new UsageError(`--${flag} must be a date or time such as 2026-12-01 or 2026-12-01T08:00:00Z, got "${text}"`);
  return new Date(ms).toISOString();
}
