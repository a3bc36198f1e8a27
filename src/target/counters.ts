import type { ServerResponse } from 'node:http';

/** What /metrics reports; the field names are the JSON wire names. */
export type CounterSnapshot = { requests_received: number; responses_sent: number; in_flight: number };

/** Exact counts of load traffic (every request except /metrics) served by this process. */
export class LoadCounters {
  private received = 0;
  private sent = 0;
  private inFlight = 0;

  private readonly onFinish = (): void => {
    this.sent += 1;
  };

  // 'close' fires for finished and for dropped or aborted responses alike, so in_flight cannot leak.
  private readonly onClose = (): void => {
    this.inFlight -= 1;
  };

  /** Counts the request now, and its response once the whole body has been handed to the socket. */
  track(res: ServerResponse): void {
    this.received += 1;
    this.inFlight += 1;
    res.once('finish', this.onFinish);
    res.once('close', this.onClose);
  }

  snapshot(): CounterSnapshot {
    return { requests_received: this.received, responses_sent: this.sent, in_flight: this.inFlight };
  }
}

export function sumSnapshots(snapshots: CounterSnapshot[]): CounterSnapshot {
  return snapshots.reduce(
    (sum, s) => ({
      requests_received: sum.requests_received + s.requests_received,
      responses_sent: sum.responses_sent + s.responses_sent,
      in_flight: sum.in_flight + s.in_flight,
    }),
    { requests_received: 0, responses_sent: 0, in_flight: 0 },
  );
}
