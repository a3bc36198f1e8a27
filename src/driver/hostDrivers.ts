import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';

/** Where the drivers of this host note themselves, one file per process named by its pid. */
const DEFAULT_DIR = join(tmpdir(), 'stampede-drivers');

/**
 * The drivers running on this host, so `--workers auto` can share the cores among them instead of each
 * taking all of them: each driver leaves a file named by its pid while it runs, and a file whose process
 * is gone (a driver killed without its goodbye) is not counted and is removed.
 */
export class HostDrivers {
  readonly #file: string;

  constructor(private readonly dir = DEFAULT_DIR) {
    this.#file = join(dir, String(process.pid));
  }

  join(): void {
    mkdirSync(this.dir, { recursive: true });
    writeFileSync(this.#file, '');
  }

  leave(): void {
    rmSync(this.#file, { force: true });
  }

  /** The drivers running here now, this one included. */
  count(): number {
    let alive = 0;
    for (const name of readdirSync(this.dir)) {
      if (isRunning(Number(name))) alive += 1;
      else rmSync(join(this.dir, name), { force: true });
    }
    return Math.max(1, alive);
  }

  /** `--workers auto`: this host's cores shared by its drivers, at least one load thread each. */
  workersEach(cores = availableParallelism()): number {
    return Math.max(1, Math.floor(cores / this.count()));
  }
}

function isRunning(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, as another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
