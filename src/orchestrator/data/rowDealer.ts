import type { Delivery, KafkaBus, Subscription } from '../../bus/index.js';
import type { Logger } from '../../log/logger.js';
import { DATA_LIMITS, TOPICS, type DataRequestMessage, type DataRowsMessage } from '../../protocol/index.js';
import type { MetricsStore } from '../../store/metricsStore.js';
import { savedOffsets, saveHandledOffset } from '../kafkaOffsets.js';
import type { TestLog } from '../testLog.js';
import { dealingOf, isFinished, type TestProjection } from '../testProjection.js';
import type { DataCatalog } from './dataCatalog.js';
import { sourceReader } from './dataFigures.js';
import { circularStart, grantKey, nextGrant, type RowGrant } from './rowDealing.js';

export type RowDealerDeps = { bus: KafkaBus; tests: TestLog; catalog: DataCatalog; store: MetricsStore; log: Logger };

/**
 * Answers the drivers' data_requests on data_rows. A unique grant is written to the test's event log
 * before its rows go out, and asking again with the same request id gets the same rows: a driver that
 * missed an answer, or asked while this orchestrator restarted, never gets a row twice, and no row is
 * ever dealt to two drivers. Reading resumes at the saved offsets, so requests sent while the
 * orchestrator was down are answered when it is back.
 */
export class RowDealer {
  #subscription: Subscription | undefined;

  constructor(private readonly deps: RowDealerDeps) {}

  async start(): Promise<void> {
    this.#subscription = await this.deps.bus.subscribe({
      topics: [TOPICS.dataRequests],
      onMessage: (delivery) => this.onRequest(delivery),
      resumeFrom: savedOffsets(this.deps.store, TOPICS.dataRequests),
    });
  }

  async stop(): Promise<void> {
    await this.#subscription?.close();
    this.#subscription = undefined;
  }

  private onRequest(delivery: Delivery<'data_requests'>): void {
    const request = delivery.message;
    const answer = this.answer(request);
    saveHandledOffset(this.deps.store, delivery);
    if (answer.refused) this.deps.log.warn({ test_id: request.test_id, node_id: request.node_id, source: request.source, reason: answer.refused }, 'data request refused');
    this.deps.bus.publish(TOPICS.dataRows, answer, request.node_id).catch((error: unknown) => {
      // The driver asks again with the same request id, and gets the same rows.
      this.deps.log.warn({ err: error, test_id: request.test_id, node_id: request.node_id, request_id: request.request_id }, 'publishing data rows failed');
    });
  }

  /** The rows a request gets, or why none. */
  answer(request: DataRequestMessage): DataRowsMessage {
    const { test_id, node_id, source, request_id } = request;
    const refused = (reason: string): DataRowsMessage => ({ test_id, node_id, source, request_id, columns: [], first_row: 0, rows: [], total_rows: 0, refused: reason });
    const test = this.deps.tests.get(test_id);
    if (!test) return refused(`no test ${test_id}`);
    if (!test.driver_ids.includes(node_id)) return refused(`driver ${node_id} does not take part in test ${test_id}`);
    const dataId = test.config.data?.[source];
    if (dataId === undefined) return refused(`test ${test_id} has no data source ${source}`);
    const file = this.deps.catalog.get(dataId);
    if (!file) return refused(`the file of data source ${source} (${dataId}) is no longer kept`);
    const answered = { test_id, node_id, source, request_id, columns: file.columns, total_rows: file.rows };
    if (request.message_type === 'READ_ROWS') {
      const first = request.from_row ?? circularStart(test.driver_ids.indexOf(node_id), test.driver_ids.length, file.rows);
      return { ...answered, first_row: first, rows: this.deps.catalog.readRows(dataId, first, this.fitting(dataId, first, request.rows)) };
    }
    const grant = this.grantFor(test, request, dataId, file.rows);
    if (typeof grant === 'string') return refused(grant);
    return { ...answered, first_row: grant.first_row, rows: this.deps.catalog.readRows(dataId, grant.first_row, grant.rows), pass: grant.pass, exhausted: grant.exhausted };
  }

  /** The grant this request already has, or a new one written to the event log first. */
  private grantFor(test: TestProjection, request: DataRequestMessage, dataId: string, totalRows: number): RowGrant | string {
    const { node_id, source, request_id } = request;
    const dealing = dealingOf(test, source);
    const earlier = dealing.grants.get(grantKey(node_id, request_id));
    if (earlier) return earlier;
    if (isFinished(test)) return `test ${test.test_id} is ${test.state}`;
    const cycle = sourceReader(test.config.scenarios, source)?.on_exhausted === 'cycle';
    const fitting = (first: number, count: number) => this.fitting(dataId, first, count);
    const grant = nextGrant(dealing, { node_id, request_id, wanted: request.rows, totalRows, cycle, drivers: test.driver_ids.length, fitting });
    if (grant.rows === 0) return grant;
    const recorded = this.deps.tests.append(test.test_id, { type: 'data_granted', at: new Date().toISOString(), source, ...grant }, `data:${test.test_id}:${source}:${grantKey(node_id, request_id)}`);
    // Rows not in the event log would be dealt again after a restart: none go out unrecorded.
    return recorded ? grant : `the grant of rows ${grant.first_row}… to ${node_id} could not be recorded`;
  }

  /** How many of `count` rows from `first` one data_rows message may carry. */
  private fitting(dataId: string, first: number, count: number): number {
    return this.deps.catalog.rowsFitting(dataId, first, count, DATA_LIMITS.bytesPerMessage);
  }
}
