import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { request } from 'undici';
import type { CreatePlanBody, CreateTestBody, DataFileView, DriverView, KafkaStatus, PlanView, TestDetailView, TestReportView, TestSummaryView } from '../../api/index.js';
import { UnreachableError } from '../usageError.js';
import type { SteeringChange } from '../../protocol/index.js';

/** The REST contract's types (src/api): the body of POST /api/tests and what the orchestrator answers. */
export type { CreatePlanBody, CreateTestBody, DriverView, KafkaStatus, PlanView, TestDetailView, TestReportView };

/** The orchestrator answered, but refused: `status` 400 names a `field`, 409 says why the test cannot start. */
export class OrchestratorError extends Error {
  override readonly name = 'OrchestratorError';
  constructor(
    message: string,
    readonly status: number,
    readonly field: string | undefined,
  ) {
    super(message);
  }
}

const REQUEST_TIMEOUT_MS = 15_000;
/** A file of test data may be 100 MB and more: it gets minutes, not seconds. */
const UPLOAD_TIMEOUT_MS = 600_000;
/** The orchestrator's REST API; every failure becomes one line a user can act on. */
export class OrchestratorClient {
  readonly baseUrl: string;

  constructor(
    address: { host: string; port: number },
    /** Sent on every request when the orchestrator was started with --token. */
    private readonly token?: string,
  ) {
    const host = address.host.includes(':') ? `[${address.host}]` : address.host;
    this.baseUrl = `http://${host}:${address.port}`;
  }

  createTest(body: CreateTestBody): Promise<TestDetailView> {
    return this.json('POST', '/api/tests', body);
  }

  getTest(testId: string): Promise<TestDetailView> {
    return this.json('GET', `/api/tests/${encodeURIComponent(testId)}`);
  }

  cancelTest(testId: string): Promise<TestDetailView> {
    return this.json('POST', `/api/tests/${encodeURIComponent(testId)}/cancel`);
  }

  reportJson(testId: string): Promise<TestReportView> {
    return this.json('GET', `/api/tests/${encodeURIComponent(testId)}/report?format=json`);
  }

  reportCsv(testId: string): Promise<string> {
    return this.text('GET', `/api/tests/${encodeURIComponent(testId)}/report?format=csv`);
  }

  createPlan(body: CreatePlanBody): Promise<PlanView> {
    return this.json('POST', '/api/plans', body);
  }

  getPlan(planId: string): Promise<PlanView> {
    return this.json('GET', `/api/plans/${encodeURIComponent(planId)}`);
  }

  cancelPlan(planId: string): Promise<PlanView> {
    return this.json('POST', `/api/plans/${encodeURIComponent(planId)}/cancel`);
  }

  /** The uploaded data file with this id, or undefined when the orchestrator keeps none. */
  async dataFile(dataId: string): Promise<DataFileView | undefined> {
    try {
      return await this.json<DataFileView>('GET', `/api/data/${encodeURIComponent(dataId)}`);
    } catch (error) {
      if (error instanceof OrchestratorError && error.status === 404) return undefined;
      throw error;
    }
  }

  /** Streams a file of test data to the orchestrator. */
  uploadData(file: string, contentType: string): Promise<DataFileView> {
    return this.send('POST', '/api/data', contentType, createReadStream(file), UPLOAD_TIMEOUT_MS).then((text) => JSON.parse(text) as DataFileView);
  }

  drivers(): Promise<DriverView[]> {
    return this.json('GET', '/api/drivers');
  }

  kafkaStatus(): Promise<KafkaStatus> {
    return this.json('GET', '/api/status');
  }

  /** One page of the test history (`query` as GET /api/tests takes it) and the path of the next, from its Link header. */
  async testsPage(pathAndQuery: string): Promise<{ tests: TestSummaryView[]; next: string | null }> {
    const { text, headers } = await this.exchange('GET', pathAndQuery, undefined, undefined, REQUEST_TIMEOUT_MS);
    const next = /^<([^>]+)>;\s*rel="next"/.exec(String(headers.link ?? ''))?.[1] ?? null;
    return { tests: JSON.parse(text) as TestSummaryView[], next };
  }

  steerTest(testId: string, change: SteeringChange): Promise<TestDetailView> {
    return this.json('PATCH', `/api/tests/${encodeURIComponent(testId)}`, change);
  }

  private async json<T>(method: 'GET' | 'POST' | 'PATCH', path: string, body?: unknown): Promise<T> {
    const text = await this.text(method, path, body);
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new UnreachableError(`${this.baseUrl} answered ${method} ${path} with something that is not JSON: is it really the orchestrator?`);
    }
  }

  private text(method: 'GET' | 'POST' | 'PATCH', path: string, body?: unknown): Promise<string> {
    return this.send(method, path, body === undefined ? undefined : 'application/json', body === undefined ? undefined : JSON.stringify(body), REQUEST_TIMEOUT_MS);
  }

  private async send(method: 'GET' | 'POST' | 'PATCH', path: string, contentType: string | undefined, body: string | Readable | undefined, timeoutMs: number): Promise<string> {
    return (await this.exchange(method, path, contentType, body, timeoutMs)).text;
  }

  private async exchange(method: 'GET' | 'POST' | 'PATCH', path: string, contentType: string | undefined, body: string | Readable | undefined, timeoutMs: number): Promise<{ text: string; headers: Record<string, string | string[] | undefined> }> {
    const url = `${this.baseUrl}${path}`;
    const response = await request(url, {
      method,
      headers: {
        ...(contentType === undefined ? {} : { 'content-type': contentType }),
        ...(this.token === undefined ? {} : { authorization: `Bearer ${this.token}` }),
      },
      body,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    }).catch((error: unknown) => {
      throw new UnreachableError(`cannot reach the orchestrator at ${this.baseUrl}: ${networkReason(error)}`);
    });
    const text = await response.body.text();
    if (response.statusCode >= 400) throw refusal(response.statusCode, text, `${method} ${path}`);
    return { text, headers: response.headers };
  }
}

function refusal(status: number, text: string, what: string): OrchestratorError {
  const parsed = parseErrorBody(text);
  if ((status === 400 || status === 409 || status === 404 || status === 413) && parsed.message) return new OrchestratorError(parsed.message, status, parsed.field);
  if (status === 401) return new OrchestratorError(`the orchestrator refused ${what} without its token: pass --token or set STAMPEDE_TOKEN`, status, undefined);
  return new OrchestratorError(`the orchestrator answered ${what} with HTTP ${status}: ${parsed.message ?? text.slice(0, 200)}`, status, parsed.field);
}

function parseErrorBody(text: string): { message?: string; field?: string } {
  try {
    const body = JSON.parse(text) as { message?: unknown; field?: unknown };
    return { message: typeof body.message === 'string' ? body.message : undefined, field: typeof body.field === 'string' ? body.field : undefined };
  } catch {
    return {};
  }
}

const NETWORK_REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  EHOSTUNREACH: 'host unreachable',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
  UND_ERR_HEADERS_TIMEOUT: `no answer within ${REQUEST_TIMEOUT_MS / 1000} s`,
  UND_ERR_SOCKET: 'connection closed unexpectedly',
};

function networkReason(error: unknown): string {
  const { code, message, cause } = error as { code?: string; message?: string; cause?: { code?: string } };
  const known = NETWORK_REASONS[code ?? ''] ?? NETWORK_REASONS[cause?.code ?? ''];
  return known ?? message ?? String(error);
}
