import { readFile, writeFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { fieldErrors } from '../../api/index.js';
import {
  comparableReport,
  compareReports,
  comparisonHtml,
  comparisonText,
  evaluateRelativeThresholds,
  machineInfo,
  parseRelativeThreshold,
  RelativeThresholdError,
  type ComparableReport,
  type RelativeThreshold,
} from '../../report/index.js';
import { parseFlags } from '../args.js';
import { UsageError } from '../usageError.js';
import { EXIT_THRESHOLD_FAILED } from './run.js';

const USAGE = `Usage: stampede compare BASE.json NEW.json [--threshold EXPR]... [--out diff.html]

Puts two exported results side by side (overall, and per request name both share): each figure of
BASE and NEW with the absolute and relative change. The files are what \`stampede run --out x.json\`
or \`--json\` writes, or GET /api/tests/{id}/report.

Options:
  --threshold EXPR  a relative threshold on the overall change from BASE to NEW; repeatable:
                      p99<+10%   (p99 rose by less than 10 %)    rps>-5%  (rps fell by less than 5 %)
                      metrics: min mean median (p50) p90 p95 p99 max rps errors (error rate)
                      operators: < <= > >=
  --out FILE.html   also write the comparison as one self-contained HTML page
  -h, --help        show this help

Exit codes:
  0    compared; every threshold held
  2    a bad argument, threshold or file (named)
  99   a threshold failed`;

const OPTIONS = { threshold: { type: 'string', multiple: true }, out: { type: 'string' } } as const;

async function readReport(file: string): Promise<ComparableReport> {
  const text = await readFile(file, 'utf8').catch((error: Error) => {
    throw new UsageError(`${file}: cannot read it: ${error.message}`);
  });
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${file}: not JSON: ${(error as Error).message}`);
  }
  const parsed = comparableReport.safeParse(json);
  if (!parsed.success) {
    const first = fieldErrors(parsed.error)[0];
    throw new UsageError(`${file}: not a Stampede JSON report (stampede run --out x.json): ${first ? `${first.field}: ${first.message}` : parsed.error.message}`);
  }
  return parsed.data;
}

function thresholdFlags(expressions: readonly string[]): RelativeThreshold[] {
  return expressions.map((expression) => {
    try {
      return parseRelativeThreshold(expression);
    } catch (error) {
      if (error instanceof RelativeThresholdError) throw new UsageError(`--${error.message}`);
      throw error;
    }
  });
}

function outFile(value: string | undefined): string | undefined {
  if (value !== undefined && extname(value).toLowerCase() !== '.html') throw new UsageError(`--out must name a .html file, got "${value}"`);
  return value;
}

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(argv, OPTIONS, 'compare');
  if ((values as { help?: boolean }).help) {
    console.log(USAGE);
    return 0;
  }
  if (positionals.length !== 2) throw new UsageError(`compare needs two files, BASE.json and NEW.json; got ${positionals.length} (try \`stampede compare --help\`)`);
  const [baseFile = '', newFile = ''] = positionals;
  const thresholds = thresholdFlags(values.threshold ?? []);
  const out = outFile(values.out);
  const [base, next] = await Promise.all([readReport(baseFile), readReport(newFile)]);
  const comparison = compareReports(base, next);
  const overall = comparison.scopes[0]!;
  const input = { base: { file: baseFile, report: base }, new: { file: newFile, report: next }, ...comparison, thresholds: evaluateRelativeThresholds(thresholds, overall) };
  console.log(comparisonText(input));
  if (out) {
    await writeFile(out, comparisonHtml(input, machineInfo(), new Date().toISOString())).catch((error: Error) => {
      throw new UsageError(`--out ${out}: cannot write the comparison: ${error.message}`);
    });
    console.log(`comparison written to ${out}`);
  }
  return input.thresholds.some((t) => !t.ok) ? EXIT_THRESHOLD_FAILED : 0;
}
