import type { Logger } from '../../log/logger.js';
import type { DataRequestMessage, DataRowsMessage } from '../../protocol/index.js';

/** What a feed asks for: the rest of the request (who asks, and its id, the channel fills in). */
export type RowsQuestion = Pick<DataRequestMessage, 'message_type' | 'rows' | 'from_row' | 'used'>;

/** Asks the orchestrator for rows; one channel per driver, shared by its tests' feeds. */
export type RowsAsker = (testId: string, source: string, question: RowsQuestion) => Promise<DataRowsMessage>;

/** An unanswered request goes out again, with the same id (so the same rows), this often. */
export const ASK_AGAIN_MS = 2_000;

type Pending = { message: DataRequestMessage; resolve: (answer: DataRowsMessage) => void; reject: (error: Error) => void; timer: NodeJS.Timeout };

/**
 * The driver's side of data_requests / data_rows. Each question gets the next request id of its test and
 * source, and is asked again until answered (the orchestrator may be restarting, or its answer lost): the
 * orchestrator answers an id it has seen with the rows it gave it, so asking again never costs a row.
 */
export class DataChannel {
  readonly #pending = new Map<string, Pending>();
  readonly #lastId = new Map<string, number>();

  constructor(
    private readonly nodeId: string,
    private readonly publish: (message: DataRequestMessage) => Promise<void>,
    private readonly log: Logger,
  ) {}

  readonly ask: RowsAsker = (testId, source, question) => {
    const stream = streamKey(testId, source);
    const requestId = (this.#lastId.get(stream) ?? 0) + 1;
    this.#lastId.set(stream, requestId);
    const message: DataRequestMessage = { ...question, test_id: testId, node_id: this.nodeId, source, request_id: requestId };
    return new Promise((resolve, reject) => {
      const key = pendingKey(testId, source, requestId);
      const send = () => this.publish(message).catch((error: unknown) => this.log.debug({ err: error, test_id: testId, source, request_id: requestId }, 'publishing a data request failed; asking again'));
      this.#pending.set(key, { message, resolve, reject, timer: setInterval(send, ASK_AGAIN_MS) });
      void send();
    });
  };

  /** An answer on data_rows; a repeated or foreign one is ignored. */
  onRows(answer: DataRowsMessage): void {
    if (answer.node_id !== this.nodeId) return;
    const key = pendingKey(answer.test_id, answer.source, answer.request_id);
    const pending = this.#pending.get(key);
    if (!pending) return;
    this.#pending.delete(key);
    clearInterval(pending.timer);
    pending.resolve(answer);
  }

  /** The test ended here: its questions are abandoned (their feeds are gone). */
  closeTest(testId: string): void {
    for (const [key, pending] of this.#pending) {
      if (pending.message.test_id !== testId) continue;
      this.#pending.delete(key);
      clearInterval(pending.timer);
      pending.reject(new Error(`test ${testId} ended while waiting for data rows`));
    }
    for (const stream of this.#lastId.keys()) if (stream.startsWith(`${testId}\n`)) this.#lastId.delete(stream);
  }
}

function streamKey(testId: string, source: string): string {
  return `${testId}\n${source}`;
}

function pendingKey(testId: string, source: string, requestId: number): string {
  return `${testId}\n${source}\n${requestId}`;
}
