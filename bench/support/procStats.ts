import { readFileSync } from 'node:fs';

/** USER_HZ: Linux reports utime/stime in these units on every mainstream architecture. */
const CLOCK_TICKS_PER_SECOND = 100;
/** utime and stime are fields 14 and 15 of /proc/<pid>/stat; after the ")" closing the command name, field 3 is at index 0. */
const UTIME_INDEX = 11;
const STIME_INDEX = 12;

/** CPU time (user + system) the process has used so far, in seconds. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[UTIME_INDEX]) + Number(fields[STIME_INDEX])) / CLOCK_TICKS_PER_SECOND;
}

/** Peak resident set size (VmHWM) in MiB. */
export function peakRssMiB(pid: number): number {
  return statusMiB(pid, 'VmHWM');
}

/** Resident set size now (VmRSS) in MiB. */
export function rssMiB(pid: number): number {
  return statusMiB(pid, 'VmRSS');
}

function statusMiB(pid: number, field: 'VmHWM' | 'VmRSS'): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
  if (!match) throw new Error(`no ${field} in /proc/${pid}/status`);
  return Number(match[1]) / 1024;
}

/** The highest RSS of some processes while `during` runs, sampled every 100 ms (VmHWM cannot be reset). */
export async function peakRssDuring<T>(pids: readonly number[], during: () => Promise<T>): Promise<{ result: T; peakMiB: number[] }> {
  const peakMiB = pids.map((pid) => rssMiB(pid));
  const timer = setInterval(() => pids.forEach((pid, i) => (peakMiB[i] = Math.max(peakMiB[i]!, rssMiB(pid)))), 100);
  try {
    return { result: await during(), peakMiB };
  } finally {
    clearInterval(timer);
  }
}

/** CPU use of a process over a stretch of wall time, as % of one core. */
export class CpuMeter {
  private readonly startCpu: number;
  private readonly startWall = performance.now();

  constructor(private readonly pid: number) {
    this.startCpu = cpuSeconds(pid);
  }

  read(): { cpuSeconds: number; wallSeconds: number; percentOfCore: number } {
    const used = cpuSeconds(this.pid) - this.startCpu;
    const wall = (performance.now() - this.startWall) / 1000;
    return { cpuSeconds: used, wallSeconds: wall, percentOfCore: (100 * used) / wall };
  }
}
