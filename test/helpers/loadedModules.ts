import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Module hooks that print every module a process loads, one `loaded <url>` line each, on stderr. */
const PRINT_LOADS = `data:text/javascript,${encodeURIComponent(`
import { writeSync } from 'node:fs';
export async function load(url, context, next) { writeSync(2, 'loaded ' + url + '\\n'); return next(url, context); }
`)}`;
const REGISTER = `data:text/javascript,${encodeURIComponent(`import { register } from 'node:module'; register(${JSON.stringify(PRINT_LOADS)});`)}`;

/** Runs a script with the hooks and returns the URL of every module it loaded (whether it exits 0 or not), and its stderr. */
export async function loadedModules(script: string, args: string[] = []): Promise<{ loaded: string[]; stderr: string }> {
  const { stderr } = await run(process.execPath, ['--import', REGISTER, script, ...args]).catch((failure: { stderr: string }) => failure);
  return { loaded: [...stderr.matchAll(/^loaded (\S+)$/gm)].map((m) => m[1]!), stderr };
}
