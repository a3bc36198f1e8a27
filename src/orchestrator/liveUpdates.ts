import type { IncomingMessage } from 'node:http';
import type { FastifyReply } from 'fastify';
import { PAGE_LIMITS } from '../api/index.js';
import type { RuntimeController } from './runtimeController.js';
import type { SummaryViews } from './summaryViews.js';
import type { FiguresCalculator } from './testFigures.js';
import { detailView } from './testViews.js';

const PUSH_INTERVAL_MS = 250;
const KEEPALIVE_INTERVAL_MS = 15_000;

type Client = { write: (chunk: string) => void; end: () => void; testId: string | undefined; nextId: number };

/**
 * Server-Sent Events for the dashboard. Changes are coalesced and pushed at most every 250 ms:
 * the driver list, the newest page of tests (as GET /api/tests gives it without parameters; older
 * ones are read a page at a time), the detail of the test a client watches, and what the
 * orchestrator hears from Kafka (`status`, as GET /api/status). On connect a
 * client gets a full snapshot, so a reconnect after an orchestrator restart needs nothing else.
 */
export class LiveUpdates {
  readonly #clients = new Set<Client>();
  readonly #dirtyTests = new Set<string>();
  #driversDirty = false;
  #lastStatus = '';
  #timer: NodeJS.Timeout | undefined;
  #keepalive: NodeJS.Timeout | undefined;

  constructor(
    private readonly controller: RuntimeController,
    private readonly figures: FiguresCalculator,
    private readonly summaries: SummaryViews,
  ) {
    controller.on('test', (test) => this.#dirtyTests.add(test.test_id));
    controller.on('drivers', () => (this.#driversDirty = true));
  }

  start(): void {
    this.#timer = setInterval(() => this.push(), PUSH_INTERVAL_MS);
    this.#keepalive = setInterval(() => this.broadcast((c) => c.write(': keepalive\n\n')), KEEPALIVE_INTERVAL_MS);
  }

  stop(): void {
    clearInterval(this.#timer);
    clearInterval(this.#keepalive);
    // Ending each stream lets the HTTP server close: an open event stream would hold it up forever.
    for (const client of this.#clients) {
      client.write('event: bye\ndata: {}\n\n');
      client.end();
    }
    this.#clients.clear();
  }

  get clientCount(): number {
    return this.#clients.size;
  }

  /** Streams to a new client; `testId`: also the detail of that test. */
  attach(request: IncomingMessage, reply: FastifyReply, testId: string | undefined): void {
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache, no-transform', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    const client: Client = { write: (chunk) => raw.write(chunk), end: () => raw.end(), testId, nextId: 1 };
    this.#clients.add(client);
    request.on('close', () => this.#clients.delete(client));
    raw.write('retry: 1000\n\n');
    this.send(client, 'status', this.controller.kafkaStatus());
    this.sendDrivers(client);
    this.sendTests(client);
    if (testId) this.sendTest(client, testId);
  }

  private push(): void {
    if (this.#clients.size === 0) {
      this.#dirtyTests.clear();
      this.#driversDirty = false;
      return;
    }
    this.pushStatusIfChanged();
    const dirty = [...this.#dirtyTests];
    this.#dirtyTests.clear();
    if (this.#driversDirty) this.broadcast((c) => this.sendDrivers(c));
    this.#driversDirty = false;
    if (dirty.length === 0) return;
    this.broadcast((c) => this.sendTests(c));
    for (const testId of dirty) this.broadcast((c) => c.testId === testId && this.sendTest(c, testId));
  }

  private pushStatusIfChanged(): void {
    const status = this.controller.kafkaStatus();
    const text = JSON.stringify(status);
    if (text === this.#lastStatus) return;
    this.#lastStatus = text;
    this.broadcast((c) => this.send(c, 'status', status));
  }

  private broadcast(send: (client: Client) => unknown): void {
    for (const client of this.#clients) send(client);
  }

  private sendDrivers(client: Client): void {
    this.send(client, 'drivers', this.controller.drivers.list());
  }

  /** The newest page, as GET /api/tests without parameters: a history of thousands is paged over REST. */
  private sendTests(client: Client): void {
    this.send(client, 'tests', this.summaries.viewsOf(this.controller.tests.list().slice(0, PAGE_LIMITS.default)));
  }

  private sendTest(client: Client, testId: string): void {
    const test = this.controller.tests.get(testId);
    if (test) this.send(client, 'test', detailView(test, this.figures));
  }

  private send(client: Client, event: string, data: unknown): void {
    client.write(`id: ${client.nextId++}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  }
}
