import type { CapacityView } from '../../api/index.js';
import { alignColumns } from './summaryTable.js';

/** A capacity search's answer and its evidence, a row per step in the order run. */
export function capacityTable(search: CapacityView): string {
  const answer = search.capacity_rps === null ? `no rate met every SLO (${search.slo.join(', ')})` : `${search.capacity_rps} req/s met every SLO (${search.slo.join(', ')})`;
  const rows = search.steps.map((s) => [String(s.rate), shown(s.achieved_rps), shown(s.p50), shown(s.p99), s.error_rate === null ? '-' : `${(s.error_rate * 100).toFixed(2)}%`, s.ok ? 'ok' : `missed ${s.failed_slos.join(', ')}`]);
  return [`capacity: ${answer}`, ...alignColumns([['rate', 'achieved/s', 'p50 ms', 'p99 ms', 'errors', 'verdict'], ...rows]).map((line) => `  ${line}`)].join('\n');
}

function shown(value: number | null): string {
  return value === null ? '-' : String(Math.round(value * 10) / 10);
}
