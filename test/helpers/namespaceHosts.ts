import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * Hosts on one machine: a network namespace each, joined by a bridge that lives in a namespace of its
 * own, with addresses 10.231.0.x/24 that exist only inside them. Every link is created inside the
 * namespaces (`ip -n`), so nothing of it appears in the root namespace, and every process that uses
 * those addresses runs inside a host (`ip netns exec`): no packet for them ever leaves.
 */
export class NamespaceHosts {
  readonly #children = new Set<ChildProcess>();

  private constructor(
    private readonly tag: string,
    readonly hosts: string[],
  ) {}

  /** The address of host number `index` (0-based). */
  static address(index: number): string {
    return `10.231.0.${index + 1}`;
  }

  /** Why namespaces cannot be made here, or undefined when they can (checked by making and removing one). */
  static async unavailableReason(): Promise<string | undefined> {
    const probe = `stm-probe-${process.pid}`;
    try {
      await run('ip', ['netns', 'add', probe]);
      await run('ip', ['netns', 'del', probe]);
      return undefined;
    } catch (error) {
      return `network namespaces cannot be created here (needs root and iproute2): ${(error as Error).message.split('\n')[0]}`;
    }
  }

  static async create(count: number): Promise<NamespaceHosts> {
    const tag = (process.pid % 100_000).toString(36);
    const hosts = Array.from({ length: count }, (_, i) => `stm-${tag}-h${i + 1}`);
    const network = new NamespaceHosts(tag, hosts);
    try {
      await network.build();
    } catch (error) {
      await network.destroy();
      throw error;
    }
    return network;
  }

  private get switchName(): string {
    return `stm-${this.tag}-sw`;
  }

  private async build(): Promise<void> {
    const sw = this.switchName;
    await run('ip', ['netns', 'add', sw]);
    await ip(sw, 'link', 'set', 'lo', 'up');
    await ip(sw, 'link', 'add', 'br0', 'type', 'bridge');
    await ip(sw, 'link', 'set', 'br0', 'up');
    for (const [index, host] of this.hosts.entries()) {
      const port = `p${index + 1}`;
      await run('ip', ['netns', 'add', host]);
      await ip(host, 'link', 'set', 'lo', 'up');
      // Both ends are born inside namespaces: eth0 in the host, its peer in the switch.
      await ip(host, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', port, 'netns', sw);
      await ip(sw, 'link', 'set', port, 'master', 'br0');
      await ip(sw, 'link', 'set', port, 'up');
      await ip(host, 'addr', 'add', `${NamespaceHosts.address(index)}/24`, 'dev', 'eth0');
      await ip(host, 'link', 'set', 'eth0', 'up');
    }
  }

  /** Runs a command inside host `index` and waits for it. */
  async exec(index: number, command: string[], options: { env?: Record<string, string>; timeoutMs?: number } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      execFile('ip', ['netns', 'exec', this.hosts[index]!, ...command], { env: { ...process.env, ...options.env }, timeout: options.timeoutMs ?? 120_000, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      });
    });
  }

  /** Starts a long-running command inside host `index`; resolves once its stdout matches `ready`. */
  async start(index: number, command: string[], ready: RegExp, timeoutMs = 60_000): Promise<{ child: ChildProcess; match: RegExpMatchArray; stderr: () => string }> {
    // `ip netns exec` enters the namespace and execs the command: the child's pid is the command's own.
    const child = spawn('ip', ['netns', 'exec', this.hosts[index]!, ...command], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.#children.add(child);
    let out = '';
    let err = '';
    child.stderr!.on('data', (chunk: Buffer) => (err = (err + chunk.toString()).slice(-20_000)));
    const match = await new Promise<RegExpMatchArray>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${command.join(' ')} in ${this.hosts[index]} did not print ${ready} within ${timeoutMs} ms; stderr:\n${err}`)), timeoutMs);
      child.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const found = out.match(ready);
        if (found) {
          clearTimeout(timer);
          resolve(found);
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`${command.join(' ')} in ${this.hosts[index]} exited (${code}) before printing ${ready}; stderr:\n${err}`));
      });
    });
    return { child, match, stderr: () => err };
  }

  /** Ends every process started here (SIGTERM, SIGKILL after 5 s), then removes the namespaces. */
  async destroy(): Promise<void> {
    await Promise.all([...this.#children].map((child) => stop(child)));
    for (const name of [...this.hosts, this.switchName]) await run('ip', ['netns', 'del', name]).catch(() => undefined);
  }
}

function ip(namespace: string, ...args: string[]): Promise<unknown> {
  return run('ip', ['-n', namespace, ...args]);
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}
