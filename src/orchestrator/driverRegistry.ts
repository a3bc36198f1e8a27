import type { DriverStatus, DriverView } from '../api/index.js';
import type { HeartbeatMessage, RegisterMessage } from '../protocol/index.js';

export const LOST_AFTER_MS = 3_000;
/**
 * When this orchestrator reads Kafka again after it could not, a silent driver is judged only this long
 * after: a driver's heartbeats can still be held up by the failover that stopped the orchestrator's. Seen
 * in the three-broker test on a loaded machine: a driver still unheard 3 s after the orchestrator read
 * again (6.3 s after its last heartbeat), while the other driver was heard, so it was lost and the test failed.
 */
export const LOST_AFTER_RESUME_MS = 3 * LOST_AFTER_MS;
/**
 * A running test fails for a lost driver only once it has been silent this long: a driver is shown lost
 * after LOST_AFTER_MS, but its heartbeats' partition may be failing over while the others are read (the
 * driver's producer retries a send for 6 s). Issue 27 saw a test failed 3 s after a heartbeat that came
 * through again soon after, in one run of four with a broker SIGKILLed.
 */
export const TEST_FAILS_AFTER_SILENT_MS = LOST_AFTER_MS + 5_000;

/**
 * Whether silent drivers may be judged lost now: never while Kafka cannot be read (`hearingSinceMs`
 * undefined), one liveness window after this orchestrator first reads it, LOST_AFTER_RESUME_MS after it
 * reads it again.
 */
export function mayJudgeSilence(nowMs: number, hearingSinceMs: number | undefined, firstHearingSinceMs: number | undefined): boolean {
  if (hearingSinceMs === undefined) return false;
  const resumed = firstHearingSinceMs !== undefined && hearingSinceMs > firstHearingSinceMs;
  return nowMs - hearingSinceMs > (resumed ? LOST_AFTER_RESUME_MS : LOST_AFTER_MS);
}
/**
 * From this many live drivers on, each is judged against the newest heartbeat read from anyone, and
 * most of them falling behind in one sweep is a crowd silence (see `sweep`). Below it, a few drivers
 * falling silent while others are still heard is as likely their host as the bus.
 */
export const CROWD_SIZE = 10;
/** A silence of everyone that lasts this many liveness windows is lost after all: the bus delivers, but nobody talks. */
const CROWD_SILENCE_WINDOWS = 5;

export type { DriverStatus };

/** What the REST API shows of a driver (src/api's driverView). */
export type DriverRecord = DriverView;

type Entry = DriverRecord & { lastHeardMs: number; clockSamples: number[] };

/**
 * Heartbeats the clock offset is estimated over: each says the driver's time when sent, and the smallest
 * (receive − sent) of the last ones is the offset plus the quickest delivery, which is a few ms.
 */
const CLOCK_SAMPLES = 20;

export type StatusChange = { node_id: string; status: DriverStatus };

/** Most drivers silent at the same moment: the bus or the orchestrator is behind, not N driver failures. */
export type CrowdSilence = { silent: number; of: number; sinceMs: number };

/**
 * Who is out there: every node that registers or heartbeats, ours or any spec-speaking one.
 * A driver is lost after LOST_AFTER_MS without a heartbeat, left once it deregisters, and alive
 * again when it is heard from.
 * Time is passed in, so liveness is decided in one place (`sweep`) and tests need no clock tricks.
 */
export class DriverRegistry {
  readonly #drivers = new Map<string, Entry>();
  #crowdSilence: CrowdSilence | undefined;

  constructor(private readonly lostAfterMs = LOST_AFTER_MS) {}

  onRegister(message: RegisterMessage, nowMs: number): StatusChange | undefined {
    if (message.message_type === 'DRIVER_NODE_DEREGISTER') return this.markDeregistered(message.node_id);
    const entry = this.entryFor(message.node_id, nowMs);
    entry.node_ip = message.node_IP;
    entry.capabilities = message.capabilities ?? [];
    entry.registered_at = new Date(nowMs).toISOString();
    entry.deregistered = false;
    return this.heard(entry, nowMs);
  }

  onHeartbeat(message: HeartbeatMessage, nowMs: number): StatusChange | undefined {
    const entry = this.entryFor(message.node_id, nowMs);
    entry.last_heartbeat = message.timestamp;
    entry.clock_offset_ms = clockOffset(entry, nowMs - Date.parse(message.timestamp));
    if (message.state !== undefined) entry.state = message.state;
    if (message.test_id !== undefined) entry.current_test = message.test_id;
    entry.deregistered = false;
    return this.heard(entry, nowMs);
  }

  /**
   * Marks drivers silent for too long as lost; returns what changed.
   * When two or more drivers are alive and nothing has been read from any of them for a liveness window,
   * that is a crowd silence (`crowdSilence`): a broker failing over, or this orchestrator's consumer
   * behind, not N driver failures; nobody is lost for it until it lasts CROWD_SILENCE_WINDOWS windows.
   * With a crowd (CROWD_SIZE or more alive), silence is also measured against the newest heartbeat read
   * from anyone rather than the wall clock, and most of the crowd falling behind in one sweep is a crowd
   * silence too.
   */
  sweep(nowMs: number): StatusChange[] {
    const alive = [...this.#drivers.values()].filter((entry) => entry.status === 'alive');
    const silent = alive.filter((entry) => nowMs - entry.lastHeardMs > this.lostAfterMs);
    return this.judge(alive, silent, nowMs).map((entry) => {
      entry.status = 'lost';
      return { node_id: entry.node_id, status: 'lost' as const };
    });
  }

  /** Set while most of the alive drivers are silent at once; undefined otherwise. */
  get crowdSilence(): CrowdSilence | undefined {
    return this.#crowdSilence;
  }

  private judge(alive: Entry[], silent: Entry[], nowMs: number): Entry[] {
    if (alive.length < 2 || silent.length === 0) {
      this.#crowdSilence = undefined;
      return silent;
    }
    const newestHeardMs = Math.max(...alive.map((entry) => entry.lastHeardMs));
    const isCrowd = alive.length >= CROWD_SIZE;
    const behindOthers = silent.filter((entry) => newestHeardMs - entry.lastHeardMs > this.lostAfterMs);
    const everyoneSilent = nowMs - newestHeardMs > this.lostAfterMs;
    const mostBehind = isCrowd && behindOthers.length * 2 > alive.length;
    if (!everyoneSilent && !mostBehind) {
      this.#crowdSilence = undefined;
      return isCrowd ? behindOthers : silent;
    }
    this.#crowdSilence ??= { silent: silent.length, of: alive.length, sinceMs: nowMs };
    this.#crowdSilence.silent = silent.length;
    return silent.filter((entry) => nowMs - entry.lastHeardMs > this.lostAfterMs * CROWD_SILENCE_WINDOWS);
  }

  /** Drivers that are alive: the ones a new test may use. */
  available(): DriverRecord[] {
    return this.list().filter((d) => d.status === 'alive');
  }

  /** Forgets a driver that left or was lost; an alive one stays (it would only come back with its next heartbeat). */
  remove(nodeId: string): 'removed' | 'alive' | 'unknown' {
    const entry = this.#drivers.get(nodeId);
    if (!entry) return 'unknown';
    if (entry.status === 'alive') return 'alive';
    this.#drivers.delete(nodeId);
    return 'removed';
  }

  /** How long the driver has not been heard from (any message of its own); undefined for one never heard. */
  silentForMs(nodeId: string, nowMs: number): number | undefined {
    const entry = this.#drivers.get(nodeId);
    return entry ? nowMs - entry.lastHeardMs : undefined;
  }

  /** A message of the driver's other than presence (a report): it is alive, whatever its heartbeats' partition is doing. */
  onActivity(nodeId: string, nowMs: number): StatusChange | undefined {
    const entry = this.#drivers.get(nodeId);
    return entry && entry.status !== 'left' ? this.heard(entry, nowMs) : undefined;
  }

  get(nodeId: string): DriverRecord | undefined {
    const entry = this.#drivers.get(nodeId);
    return entry ? toRecord(entry) : undefined;
  }

  list(): DriverRecord[] {
    return [...this.#drivers.values()].map(toRecord).sort((a, b) => a.node_id.localeCompare(b.node_id));
  }

  private entryFor(nodeId: string, nowMs: number): Entry {
    let entry = this.#drivers.get(nodeId);
    if (!entry) {
      entry = { node_id: nodeId, node_ip: null, status: 'alive', registered_at: null, last_heartbeat: null, state: null, current_test: null, deregistered: false, capabilities: [], clock_offset_ms: null, lastHeardMs: nowMs, clockSamples: [] };
      this.#drivers.set(nodeId, entry);
    }
    return entry;
  }

  private heard(entry: Entry, nowMs: number): StatusChange | undefined {
    entry.lastHeardMs = nowMs;
    if (entry.status === 'alive') return undefined;
    entry.status = 'alive';
    return { node_id: entry.node_id, status: 'alive' };
  }

  private markDeregistered(nodeId: string): StatusChange | undefined {
    const entry = this.#drivers.get(nodeId);
    if (!entry) return undefined;
    entry.deregistered = true;
    entry.state = 'stopped';
    entry.current_test = null;
    if (entry.status === 'left') return undefined;
    entry.status = 'left';
    return { node_id: nodeId, status: 'left' };
  }
}

function toRecord(entry: Entry): DriverRecord {
  const { lastHeardMs: _lastHeardMs, clockSamples: _clockSamples, ...record } = entry;
  return record;
}

/** How far the orchestrator's clock is ahead of the driver's, estimated over its last heartbeats; null before one with a usable time. */
function clockOffset(entry: Entry, sample: number): number | null {
  if (Number.isFinite(sample)) {
    entry.clockSamples.push(sample);
    if (entry.clockSamples.length > CLOCK_SAMPLES) entry.clockSamples.shift();
  }
  return entry.clockSamples.length === 0 ? null : Math.round(Math.min(...entry.clockSamples));
}
