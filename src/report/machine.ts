import { readFileSync } from 'node:fs';
import { availableParallelism, cpus, hostname, platform, release } from 'node:os';

/** Where a report was made: enough to tell whether two reports' numbers came from comparable machines. */
export type MachineInfo = { hostname: string; cores: number; cpu_model: string; os: string; node_version: string; stampede_version: string };

/** From the package's own package.json (dist/src/report/ → the repository root), read once. */
let version: string | undefined;

export function stampedeVersion(): string {
  if (version === undefined) {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version?: string };
    version = pkg.version ?? 'unknown';
  }
  return version;
}

export function machineInfo(): MachineInfo {
  return {
    hostname: hostname(),
    cores: availableParallelism(),
    cpu_model: cpus()[0]?.model.trim() ?? 'unknown',
    os: `${platform()} ${release()}`,
    node_version: process.version,
    stampede_version: stampedeVersion(),
  };
}
