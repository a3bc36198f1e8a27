import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import { fieldErrors, scenarioFile, type Scenario } from '../../api/index.js';
import { UsageError } from '../usageError.js';

/**
 * A scenario file (YAML, or JSON, which is YAML too) read and checked against the scenario keys: a file
 * that cannot be read, does not parse (named with line and column) or has an unknown or mistyped key
 * is a bad argument.
 */
export function readScenarioFile(file: string): Scenario {
  const parsed = parseDocument(readText(file), { prettyErrors: true, uniqueKeys: true });
  const [error] = parsed.errors;
  if (error) {
    const at = error.linePos?.[0];
    throw new UsageError(`--scenario ${file}${at ? `:${at.line}:${at.col}` : ''}: ${error.message.split('\n')[0]!.replace(/ at line \d+, column \d+:$/, '')}`);
  }
  const content: unknown = parsed.toJS();
  if (typeof content !== 'object' || content === null || Array.isArray(content)) throw new UsageError(`--scenario ${file}: must be a mapping of keys (type, count, target, …)`);
  const checked = scenarioFile.safeParse(content);
  if (!checked.success) throw new UsageError(`--scenario ${file}: ${fieldErrors(checked.error).map((e) => `${e.field}: ${e.message}`).join('; ')}`);
  return checked.data;
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`--scenario ${file} cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}
