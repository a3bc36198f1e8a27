/**
 * How the unique rows of one data source are dealt to a test's drivers: a pure fold of the test's
 * `data_granted` events (so a restarted orchestrator deals on from exactly where it stopped) and the
 * decision of the next grant. A grant is a run of consecutive rows of one pass through the file.
 */

export type RowGrant = {
  node_id: string;
  request_id: number;
  first_row: number;
  rows: number;
  /** 1 for the first pass through the file; on_exhausted cycle starts pass 2, 3… */
  pass: number;
  /** no row is left and none will be dealt again (on_exhausted stop) */
  exhausted: boolean;
};

export type SourceDealing = {
  /** the next row of the current pass */
  nextRow: number;
  pass: number;
  exhausted: boolean;
  /** rows dealt over every pass */
  dealt: number;
  /** rows dealt per driver */
  dealtTo: Map<string, number>;
  /** by `grantKey`: asking again with the same request id gets the same rows */
  grants: Map<string, RowGrant>;
};

export function emptyDealing(): SourceDealing {
  return { nextRow: 0, pass: 1, exhausted: false, dealt: 0, dealtTo: new Map(), grants: new Map() };
}

export function grantKey(nodeId: string, requestId: number): string {
  return `${nodeId}:${requestId}`;
}

export function applyGrant(dealing: SourceDealing, grant: RowGrant): void {
  if (dealing.grants.has(grantKey(grant.node_id, grant.request_id))) return;
  dealing.grants.set(grantKey(grant.node_id, grant.request_id), grant);
  dealing.pass = grant.pass;
  dealing.nextRow = grant.first_row + grant.rows;
  dealing.exhausted = grant.exhausted;
  dealing.dealt += grant.rows;
  dealing.dealtTo.set(grant.node_id, (dealing.dealtTo.get(grant.node_id) ?? 0) + grant.rows);
}

export type GrantRequest = {
  node_id: string;
  request_id: number;
  /** rows the driver asks for (its pace over about a second) */
  wanted: number;
  totalRows: number;
  /** on_exhausted cycle: after the last row, the first again */
  cycle: boolean;
  /** drivers of the test: no grant takes more than a share of what is left */
  drivers: number;
  /** how many of `count` rows from `first` fit in one message (rows differ in size) */
  fitting: (first: number, count: number) => number;
};

/**
 * The next grant. It never spans two passes; when the rows can run out (on_exhausted stop) it takes at
 * most 1/(2·drivers) of the rows left (at least one), so near the end no driver sits on rows a faster one
 * could use. Cycling rows never run out: a grant is what the driver asks for, up to the pass's end.
 */
export function nextGrant(dealing: SourceDealing, request: GrantRequest): RowGrant {
  const { node_id, request_id, totalRows, cycle } = request;
  let { nextRow, pass } = dealing;
  if (nextRow >= totalRows && cycle && totalRows > 0) {
    nextRow = 0;
    pass += 1;
  }
  const left = totalRows - nextRow;
  if (dealing.exhausted || left <= 0) return { node_id, request_id, first_row: Math.min(nextRow, totalRows), rows: 0, pass, exhausted: !cycle };
  const share = cycle ? left : Math.max(1, Math.ceil(left / (2 * Math.max(1, request.drivers))));
  const count = Math.max(1, request.fitting(nextRow, Math.min(request.wanted, left, share)));
  return { node_id, request_id, first_row: nextRow, rows: count, pass, exhausted: !cycle && nextRow + count >= totalRows };
}

/** Where driver `index` of `count` starts walking a circular source: k·rows/n. */
export function circularStart(index: number, count: number, totalRows: number): number {
  return count > 0 ? Math.floor((index * totalRows) / count) : 0;
}
