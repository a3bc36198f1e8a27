import type { DataFileView, FieldError } from '../../api/index.js';
import { dataColumnsUsed, fieldPath, type Scenarios, type TestData } from '../../protocol/index.js';
import type { DataCatalog, DataSummary } from './dataCatalog.js';
import { isFinished, type TestProjection } from '../testProjection.js';

/**
 * A test's data checked against the files before anything starts: each source's file is kept, and every
 * `{{data.COLUMN}}` a scenario's flow uses is a column of its source that no row lacks. Each problem is
 * named at the field the user wrote (400), not found by an empty value in the middle of a run.
 */
export function testDataProblems(body: { data?: TestData | undefined; scenarios?: Scenarios | undefined }, catalog: DataCatalog): FieldError[] {
  const files = new Map<string, DataSummary>();
  const problems: FieldError[] = [];
  for (const [source, dataId] of Object.entries(body.data ?? {})) {
    const file = catalog.get(dataId);
    if (file) files.set(source, file);
    else problems.push({ field: fieldPath(['data', source]), message: `no data file ${dataId} is kept here (upload it: POST /api/data, or stampede run --data ${source}=FILE)` });
  }
  for (const [name, scenario] of Object.entries(body.scenarios ?? {})) {
    const file = scenario.data && files.get(scenario.data.source);
    if (!file) continue;
    for (const [column, path] of dataColumnsUsed(scenario.flow)) {
      const field = fieldPath(['scenarios', name, 'flow', ...path]);
      const message = columnProblem(scenario.data!.source, file, column);
      if (message) problems.push({ field, message });
    }
  }
  return problems;
}

function columnProblem(source: string, file: DataSummary, column: string): string | undefined {
  if (!file.columns.includes(column)) return `uses {{data.${column}}}, but data source ${source} has no column ${column} (its columns: ${file.columns.join(', ')})`;
  const missing = file.missing[column];
  if (missing) return `uses {{data.${column}}}, but ${missing.rows} of the ${file.rows} rows of data source ${source} lack ${column} (the first: row ${missing.first_row})`;
  return undefined;
}

/** Each source's row count, kept with the test when it is created. */
export function dataRowCounts(data: TestData | undefined, catalog: DataCatalog): Record<string, number> | undefined {
  if (!data) return undefined;
  return Object.fromEntries(Object.entries(data).map(([source, dataId]) => [source, catalog.get(dataId)?.rows ?? 0]));
}

/** Tests not finished yet that read a file: while one does, the file stays. */
export function testsReading(dataId: string, tests: readonly TestProjection[]): string[] {
  return tests.filter((test) => !isFinished(test) && Object.values(test.config.data ?? {}).includes(dataId)).map((test) => test.test_id);
}

export function dataFileView(file: DataSummary, tests: readonly TestProjection[]): DataFileView {
  return { ...file, used_by: testsReading(file.data_id, tests) };
}
