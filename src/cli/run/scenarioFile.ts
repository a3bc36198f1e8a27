import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import { fieldErrors, parseInput, scenarioFile, type Scenario } from '../../api/index.js';
import { UsageError } from '../usageError.js';

/**
 * A scenario file (YAML, or JSON, which is YAML too) read and checked against the scenario keys: a file
 * that cannot be read, does not parse (named with line and column) or has an unknown or mistyped key
 * is a bad argument.
 */
export function readScenarioFile(file: string): Scenario {
  const content = readYamlMapping(file, 'scenario', 'type, count, target, …');
  const checked = parseInput(scenarioFile, content);
  if (!checked.success) throw new UsageError(`--scenario ${file}: ${fieldErrors(checked.error).map((e) => `${e.field}: ${e.message}`).join('; ')}`);
  return checked.data;
}

/** A YAML (or JSON) file holding a mapping, for `--FLAG FILE`; anything else is a bad argument naming the flag, and the line and column. */
export function readYamlMapping(file: string, flag: string, keys: string): object {
  const parsed = parseDocument(readText(file, flag), { prettyErrors: true, uniqueKeys: true });
  const [error] = parsed.errors;
  if (error) {
    const at = error.linePos?.[0];
    throw new UsageError(`--${flag} ${file}${at ? `:${at.line}:${at.col}` : ''}: ${error.message.split('\n')[0]!.replace(/ at line \d+, column \d+:$/, '')}`);
  }
  const content: unknown = parsed.toJS();
  if (typeof content !== 'object' || content === null || Array.isArray(content)) throw new UsageError(`--${flag} ${file}: must be a mapping of keys (${keys})`);
  return content;
}

function readText(file: string, flag: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`--${flag} ${file} cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}
