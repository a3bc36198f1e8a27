/**
 * A strict parser of the Prometheus text format 0.0.4 for tests: no parser package is installed and
 * prom-client only writes the format. Every line must be a comment, HELP, TYPE, blank or a sample of a
 * family declared by a TYPE line before it; anything else throws, naming the line.
 */
export type Sample = { name: string; labels: Record<string, string>; value: number };
export type Exposition = { types: Map<string, string>; samples: Sample[] };

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const SAMPLE = new RegExp(`^(${NAME})(?:\\{(.*)\\})? (\\S+)(?: -?\\d+)?$`);
const LABEL = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\["\\n])*)"(,|$)/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);
const SUFFIXES: Record<string, string[]> = { histogram: ['_bucket', '_sum', '_count'], summary: ['_sum', '_count'] };

export function parsePrometheusText(text: string): Exposition {
  const exposition: Exposition = { types: new Map(), samples: [] };
  text.split('\n').forEach((line, index) => {
    try {
      parseLine(line, exposition);
    } catch (error) {
      throw new Error(`line ${index + 1} ${JSON.stringify(line)}: ${(error as Error).message}`, { cause: error });
    }
  });
  return exposition;
}

function parseLine(line: string, exposition: Exposition): void {
  if (line.trim() === '') return;
  const type = new RegExp(`^# TYPE (${NAME}) (\\S+)$`).exec(line);
  if (type) {
    if (!TYPES.has(type[2]!)) throw new Error(`unknown type ${type[2]}`);
    if (exposition.types.has(type[1]!)) throw new Error(`second TYPE for ${type[1]}`);
    exposition.types.set(type[1]!, type[2]!);
    return;
  }
  if (line.startsWith('#')) {
    if (line.startsWith('# HELP ') && !new RegExp(`^# HELP ${NAME} `).test(line)) throw new Error('malformed HELP');
    return;
  }
  const match = SAMPLE.exec(line);
  if (!match) throw new Error('not a sample');
  const [, name, labelText, valueText] = match;
  if (familyOf(name!, exposition.types) === undefined) throw new Error(`sample of ${name} without a TYPE line`);
  exposition.samples.push({ name: name!, labels: parseLabels(labelText ?? ''), value: parseValue(valueText!) });
}

function familyOf(sampleName: string, types: Map<string, string>): string | undefined {
  if (types.has(sampleName)) return sampleName;
  for (const [family, type] of types) if ((SUFFIXES[type] ?? []).some((suffix) => sampleName === family + suffix)) return family;
  return undefined;
}

function parseLabels(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  let rest = text;
  while (rest !== '') {
    const match = LABEL.exec(rest);
    if (!match) throw new Error(`malformed labels at ${JSON.stringify(rest)}`);
    if (match[1]! in labels) throw new Error(`label ${match[1]} twice`);
    labels[match[1]!] = match[2]!.replace(/\\(["\\n])/g, (_, c: string) => (c === 'n' ? '\n' : c));
    rest = rest.slice(match[0].length);
  }
  return labels;
}

function parseValue(text: string): number {
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  if (text === 'NaN') return NaN;
  const value = Number(text);
  if (text === '' || Number.isNaN(value)) throw new Error(`value ${text} is not a number`);
  return value;
}

/** Every name a scrape answers to: the sample names, and the family names (a histogram's base name). */
export function exposedNames(exposition: Exposition): Set<string> {
  return new Set([...exposition.types.keys(), ...exposition.samples.map((s) => s.name)]);
}
