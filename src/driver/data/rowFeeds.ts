import { performance } from 'node:perf_hooks';
import type { Logger } from '../../log/logger.js';
import { DATA_LIMITS, dataVariables, type DataRowsMessage, type ScenarioData } from '../../protocol/index.js';
import type { RowsAsker, RowsQuestion } from './dataChannel.js';

/** A row's values, in the order of its feed's `variables`; null where the row lacks the column. */
export type DataRow = readonly (string | null)[];

/** A row at once when one is at hand, else a promise of one; undefined: no row will come (unique rows ran out). */
export type RowOrWait = DataRow | undefined | Promise<DataRow | undefined>;

export interface RowFeed {
  next(): RowOrWait;
  /** Resolves once its first rows are here (random: all of them), so the scenario's clock starts with rows at hand. */
  ready(): Promise<void>;
  /** `data.COLUMN` per value of a row (known once the first rows came) */
  readonly variables: readonly string[];
  /** rows handed to iterations so far */
  readonly used: number;
}

/** Rows asked for at least at once, and what a driver asks for before it knows its pace. */
const MIN_ROWS_ASKED = 10;
/** A feed asks for about this long's worth of rows at its pace: a slow driver sits on few rows. */
const ROWS_FOR_MS = 1_000;

type FeedContext = { testId: string; source: string; ask: RowsAsker; log?: Logger | undefined };

function warnRefused({ testId, source, log }: FeedContext, reason: string): void {
  log?.warn({ test_id: testId, source, reason }, 'the orchestrator refused data rows; the scenarios reading them end');
}

/**
 * A buffer of rows filled from the orchestrator in chunks, one question at a time, asking for the next
 * chunk while half of the last is still at hand. `question` says what to ask given the rows so far.
 */
abstract class BufferedFeed implements RowFeed {
  variables: readonly string[] = [];
  used = 0;
  protected rows: DataRow[] = [];
  protected head = 0;
  /** no row will come again */
  protected ended = false;
  private asking: Promise<void> | undefined;
  private readonly waiters: ((row: DataRow | undefined) => void)[] = [];
  protected wanted = MIN_ROWS_ASKED;

  constructor(protected readonly context: FeedContext) {}

  next(): RowOrWait {
    if (this.head < this.rows.length) {
      const row = this.rows[this.head++]!;
      this.used += 1;
      if (this.rows.length - this.head <= this.wanted / 2) this.fill();
      return row;
    }
    if (this.ended) return undefined;
    this.fill();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  protected abstract question(): RowsQuestion;

  /** Takes an answer's rows; returns whether rows will come after them. */
  protected abstract accept(answer: DataRowsMessage): boolean;

  ready(): Promise<void> {
    if (this.head < this.rows.length || this.ended) return Promise.resolve();
    this.fill();
    return this.asking ?? Promise.resolve();
  }

  private fill(): void {
    if (this.asking || this.ended) return;
    const { testId, source, ask } = this.context;
    this.asking = ask(testId, source, this.question())
      .then(
        (answer) => {
          if (answer.refused !== undefined) warnRefused(this.context, answer.refused);
          if (answer.columns.length > 0) this.variables = dataVariables(answer.columns);
          this.compact();
          const more = answer.refused === undefined && this.accept(answer);
          if (!more) this.ended = true;
        },
        () => {
          this.ended = true;
        },
      )
      .finally(() => {
        this.asking = undefined;
        this.serveWaiters();
      });
  }

  private serveWaiters(): void {
    while (this.waiters.length > 0 && this.head < this.rows.length) {
      this.used += 1;
      this.waiters.shift()!(this.rows[this.head++]!);
    }
    if (this.waiters.length === 0 && this.rows.length - this.head > this.wanted / 2) return;
    if (!this.ended) this.fill();
    else for (const waiter of this.waiters.splice(0)) waiter(undefined);
  }

  /** Drops the rows already handed out. */
  private compact(): void {
    if (this.head === 0) return;
    this.rows = this.rows.slice(this.head);
    this.head = 0;
  }
}

/**
 * unique: each chunk is taken for good (TAKE_ROWS); its size follows this driver's pace, about a
 * second's worth, so a fast driver takes more and a slow one holds little.
 */
class UniqueFeed extends BufferedFeed {
  private usedAtLastAsk = 0;
  private lastAskMs = performance.now();

  protected question(): RowsQuestion {
    const now = performance.now();
    const pace = ((this.used - this.usedAtLastAsk) * ROWS_FOR_MS) / Math.max(100, now - this.lastAskMs);
    this.wanted = Math.min(DATA_LIMITS.rowsPerMessage, Math.max(MIN_ROWS_ASKED, Math.ceil(pace)));
    this.usedAtLastAsk = this.used;
    this.lastAskMs = now;
    return { message_type: 'TAKE_ROWS', rows: this.wanted, used: this.used };
  }

  protected accept(answer: DataRowsMessage): boolean {
    this.rows.push(...answer.rows);
    return !answer.exhausted && (answer.rows.length > 0 || answer.total_rows > 0);
  }
}

/**
 * circular: this driver walks every row from where the orchestrator says it starts (driver k of n at
 * k·rows/n), wrapping at the end; it holds at most two chunks.
 */
class CircularFeed extends BufferedFeed {
  private nextRow: number | undefined;

  protected question(): RowsQuestion {
    return { message_type: 'READ_ROWS', rows: DATA_LIMITS.rowsPerMessage, ...(this.nextRow === undefined ? {} : { from_row: this.nextRow }) };
  }

  protected accept(answer: DataRowsMessage): boolean {
    // A small file is asked for whole: a chunk never needs to be bigger than the file.
    this.wanted = Math.min(DATA_LIMITS.rowsPerMessage, Math.max(1, answer.total_rows));
    this.rows.push(...answer.rows);
    this.nextRow = answer.total_rows > 0 ? (answer.first_row + answer.rows.length) % answer.total_rows : 0;
    return answer.total_rows > 0;
  }
}

/** Reads of a random source's rows in flight at once: loading 1,000,000 rows is a few hundred answers. */
const PARALLEL_READS = 4;

/** random: every row is read once (held in memory), then each iteration draws one uniformly. */
class RandomFeed implements RowFeed {
  variables: readonly string[] = [];
  used = 0;
  private all: DataRow[] = [];
  private readonly loaded: Promise<void>;
  private loadedAll = false;

  constructor(private readonly context: FeedContext) {
    this.loaded = this.load()
      .catch(() => {
        // The test ended, or the orchestrator refused: no row, and the scenarios reading it end.
        this.all = [];
      })
      .then(() => {
        this.loadedAll = true;
      });
  }

  next(): RowOrWait {
    if (!this.loadedAll) return this.loaded.then(() => this.draw());
    return this.draw();
  }

  ready(): Promise<void> {
    return this.loaded;
  }

  private draw(): DataRow | undefined {
    if (this.all.length === 0) return undefined;
    this.used += 1;
    return this.all[Math.floor(Math.random() * this.all.length)];
  }

  /** The first answer tells the file's size; the rest is read a few chunks at a time, each into its place. */
  private async load(): Promise<void> {
    const first = await this.read(0);
    this.variables = dataVariables(first.columns);
    const chunk = Math.max(1, first.rows.length);
    const chunks: DataRow[][] = [first.rows];
    const starts: number[] = [];
    for (let from = chunk; from < first.total_rows; from += chunk) starts.push(from);
    for (let i = 0; i < starts.length; i += PARALLEL_READS) {
      const ranges = starts.slice(i, i + PARALLEL_READS).map((from) => this.readRange(from, Math.min(chunk, first.total_rows - from)));
      chunks.push(...(await Promise.all(ranges)));
    }
    this.all = chunks.flat();
  }

  /** `count` rows from `from`: an answer holds fewer when its rows are long (a message is bounded in bytes). */
  private async readRange(from: number, count: number): Promise<DataRow[]> {
    const rows: DataRow[] = [];
    while (rows.length < count) {
      const answer = await this.read(from + rows.length);
      if (answer.rows.length === 0) break;
      rows.push(...answer.rows.slice(0, count - rows.length));
    }
    return rows;
  }

  private async read(from: number): Promise<DataRowsMessage> {
    const { testId, source, ask } = this.context;
    const answer = await ask(testId, source, { message_type: 'READ_ROWS', rows: DATA_LIMITS.rowsPerMessage, from_row: from });
    if (answer.refused === undefined) return answer;
    warnRefused(this.context, answer.refused);
    throw new Error(answer.refused);
  }
}

/** One feed per data source a test's scenarios read (scenarios sharing a source share its feed). */
export class RowFeeds {
  readonly #feeds = new Map<string, RowFeed>();

  constructor(private readonly context: Omit<FeedContext, 'source'>) {}

  feedFor(data: ScenarioData): RowFeed {
    let feed = this.#feeds.get(data.source);
    if (!feed) this.#feeds.set(data.source, (feed = this.create(data)));
    return feed;
  }

  /** Resolves once every feed has its first rows (a random one, all of its rows). */
  ready(): Promise<void> {
    return Promise.all([...this.#feeds.values()].map((feed) => feed.ready())).then(() => undefined);
  }

  /** Rows used per source so far, for the reports. */
  used(): Record<string, number> {
    return Object.fromEntries([...this.#feeds].map(([source, feed]) => [source, feed.used]));
  }

  private create(data: ScenarioData): RowFeed {
    const context = { ...this.context, source: data.source };
    if (data.mode === 'unique') return new UniqueFeed(context);
    if (data.mode === 'circular') return new CircularFeed(context);
    return new RandomFeed(context);
  }
}
