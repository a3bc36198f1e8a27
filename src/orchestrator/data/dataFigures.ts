import type { DataSourceFigures } from '../../api/index.js';
import type { DataMode, ScenarioData, Scenarios } from '../../protocol/index.js';
import type { TestProjection } from '../testProjection.js';
import { emptyDealing } from './rowDealing.js';

/**
 * Per data source of a test: rows used (the drivers' reports), and for unique rows where the others are:
 * never dealt, held by a driver still running its part, taken by a driver whose part ended, or lost with a
 * driver that was lost without a final report (a SIGKILLed one: what it last reported used counts as used).
 */
export function dataFigures(test: TestProjection): DataSourceFigures[] {
  return Object.entries(test.config.data ?? {}).map(([source, dataId]) => {
    const rows = test.data_rows[source] ?? 0;
    const mode = sourceMode(test.config.scenarios, source);
    const usedBy = (nodeId: string) => test.drivers.get(nodeId)?.latest?.data_used?.[source] ?? 0;
    const used = [...test.drivers.keys()].reduce((sum, nodeId) => sum + usedBy(nodeId), 0);
    const base = { source, data_id: dataId, mode, rows, used };
    if (mode !== 'unique') return { ...base, dealt: null, left: null, held: null, unused: null, lost: [] };
    const dealing = test.dealing.get(source) ?? emptyDealing();
    let held = 0;
    let unused = 0;
    const lost: DataSourceFigures['lost'] = [];
    for (const [nodeId, dealt] of dealing.dealtTo) {
      const notUsed = Math.max(0, dealt - usedBy(nodeId));
      if (test.drivers.get(nodeId)?.final) unused += notUsed;
      else if (test.drivers_lost.includes(nodeId)) lost.push({ node_id: nodeId, rows: notUsed });
      else held += notUsed;
    }
    const left = dealing.exhausted ? 0 : Math.max(0, rows - dealing.nextRow);
    return { ...base, dealt: dealing.dealt, left, held, unused, lost };
  });
}

/** How the test's scenarios read a source (every scenario reading one source reads it the same way: the REST body's rule). */
export function sourceReader(scenarios: Scenarios | undefined, source: string): ScenarioData | undefined {
  return Object.values(scenarios ?? {}).find((scenario) => scenario.data?.source === source)?.data;
}

function sourceMode(scenarios: Scenarios | undefined, source: string): DataMode {
  return sourceReader(scenarios, source)?.mode ?? 'unique';
}
