import { readFileSync } from 'node:fs';
import { UsageError } from './usageError.js';

/**
 * The shared command secrets, read once at start: every `--secret-file` (each non-empty line one
 * secret, trimmed), else STAMPEDE_SECRET (the same form), else none. The first one signs; any of
 * them verifies, which is how a secret is rotated without stopping the drivers.
 */
export function commandSecrets(files: readonly string[] | undefined): string[] {
  if (files !== undefined && files.length > 0) return files.flatMap((file) => secretsInFile(file));
  const fromEnv = process.env.STAMPEDE_SECRET;
  if (fromEnv === undefined) return [];
  const secrets = secretLines(fromEnv);
  if (secrets.length === 0) throw new UsageError('STAMPEDE_SECRET must not be empty');
  return secrets;
}

function secretsInFile(file: string): string[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`--secret-file ${file}: cannot read it (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  const secrets = secretLines(text);
  if (secrets.length === 0) throw new UsageError(`--secret-file ${file} is empty`);
  return secrets;
}

function secretLines(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line.length > 0);
}
