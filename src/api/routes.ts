import { z } from 'zod';
import { DATA_ID, DATA_LIMITS, ID_MAX_LENGTH, steeringChange } from '../protocol/index.js';
import { createTestBody, createTestRules } from './createTest.js';
import { createPlanBody, planView } from './plan.js';
import { dataFileView, driverView, errorBody, kafkaStatus, liveEvent, TEST_STATES, testDetailView, testEventView, testReportView, testSummaryView } from './views.js';

export type ResponseSpec = {
  description: string;
  /** JSON unless `contentType` says otherwise; absent for an empty body. */
  schema?: z.ZodType;
  contentType?: string;
  /** Also documented for this status: another content type, e.g. the CSV form of a report. */
  alternatives?: Record<string, z.ZodType>;
};

export type RouteSpec = {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** In OpenAPI form: `/api/tests/{test_id}`. */
  path: string;
  summary: string;
  /** Creates, triggers or cancels load, or changes the driver list: needs the token when the orchestrator has one. */
  changes?: true;
  params?: z.ZodObject;
  query?: z.ZodObject;
  /** The JSON body, named for the OpenAPI document's components (clients such as the dashboard's form read it there). */
  body?: { name: string; schema: z.ZodType; rules?: (jsonSchema: (schema: z.ZodType) => Record<string, unknown>) => Record<string, unknown>[] };
  /** A body taken as it is, streamed (an uploaded file): the media types it may have. */
  rawBody?: { contentTypes: readonly string[]; description: string };
  responses: Record<number, ResponseSpec>;
};

/** steeringChange's rules across fields, as JSON Schema: at least one change; per scenario exactly one of rate and vus. */
const STEERING_RULES = [
  { anyOf: [{ required: ['rate'] }, { required: ['paused'] }, { required: ['scenarios'], properties: { scenarios: { minProperties: 1 } } }], description: 'give rate, paused or scenarios' },
  { properties: { scenarios: { additionalProperties: { oneOf: [{ required: ['rate'] }, { required: ['vus'] }] } } }, description: 'per scenario, exactly one of rate and vus' },
];

/** The most items a history page holds, and how many it holds when not told. */
export const PAGE_LIMITS = { max: 1_000, default: 50 } as const;

/** A history's paging and time filters; each history extends them with its own filters. */
const historyPaging = z
  .object({
    limit: z.coerce
      .number({ error: 'must be a number' })
      .int('must be a whole number')
      .min(1, 'must be at least 1')
      .max(PAGE_LIMITS.max, `must be at most ${PAGE_LIMITS.max}`)
      .default(PAGE_LIMITS.default)
      .meta({ description: `items per page (default ${PAGE_LIMITS.default})` }),
    before: z.string().max(1_000).optional().meta({ description: 'the cursor of the page to read, from the Link header of the page before (opaque)' }),
    since: z.iso.datetime({ error: 'must be an ISO-8601 time such as 2026-12-01T00:00:00Z' }).optional().meta({ description: 'only items created at or after this time' }),
    until: z.iso.datetime({ error: 'must be an ISO-8601 time such as 2026-12-01T00:00:00Z' }).optional().meta({ description: 'only items created before this time (after since)' }),
  })
  // A range that holds nothing is a mistake to name, not an empty page to show as "nothing found".
  .refine(({ since, until }) => !(Date.parse(until ?? '') <= Date.parse(since ?? '')), { path: ['until'], message: 'must be after since' });

/** What GET /api/tests/{test_id}/report can answer. */
export const REPORT_FORMATS = ['json', 'csv', 'html'] as const;
export const REPORT_PARTS = ['summary', 'timeline'] as const;

/** A path id longer than this is answered 414, as the router answers one too long to route. */
const pathId = (what: string) => z.string().min(1, 'must not be empty').max(ID_MAX_LENGTH, `must be at most ${ID_MAX_LENGTH} characters`).meta({ description: `the ${what}, at most ${ID_MAX_LENGTH} characters` });
const testIdParams = z.object({ test_id: pathId('test id') });
const nodeIdParams = z.object({ node_id: pathId('driver node id') });
const planIdParams = z.object({ plan_id: pathId('plan id') });
const dataIdParams = z.object({ data_id: z.string().regex(DATA_ID, 'must be a data_id: 64 lowercase hex digits').meta({ description: 'the SHA-256 of the file, as POST /api/data returned it' }) });

/** The media types of an uploaded data file, each naming its format. */
export const DATA_CONTENT_TYPES = ['text/csv', 'application/json', 'application/x-ndjson', 'application/jsonl'] as const;

const error = (description: string): ResponseSpec => ({ description, schema: errorBody });
const notFoundTest = error('no test with this test_id');
const idTooLong = error(`the id is longer than ${ID_MAX_LENGTH} characters`);
const badPath = error('the path is not valid percent-encoding');
/** What any POST may meet before its handler: a body that is not JSON, too large, or of another media type. */
const bodyRefusals = {
  400: error('the body is not valid JSON, or a field is invalid (`field` names the first, `errors` every one), or the path is not valid percent-encoding'),
  413: error('the body is larger than 64 KiB'),
  415: error('the body is not application/json'),
};
const unauthorized = error('the orchestrator runs with --token and the request did not carry it');

/**
 * The REST contract: every route with what it takes and every status it answers. The Fastify routes
 * (src/orchestrator/restApi.ts) validate with these schemas and the OpenAPI document (openApi.ts) is
 * generated from them, so the two cannot disagree.
 */
export const ROUTES = {
  listDrivers: { method: 'GET', path: '/api/drivers', summary: 'Registered drivers and their liveness', responses: { 200: { description: 'drivers', schema: z.array(driverView) } } },
  removeDriver: {
    method: 'DELETE',
    path: '/api/drivers/{node_id}',
    summary: 'Remove a driver that left or was lost from the list (it comes back if it is heard from again)',
    changes: true,
    params: nodeIdParams,
    responses: { 204: { description: 'removed' }, 400: badPath, 401: unauthorized, 404: error('no driver with this node_id'), 409: error('the driver is alive'), 414: idTooLong },
  },
  status: { method: 'GET', path: '/api/status', summary: 'What the orchestrator hears from Kafka (the dashboard warns when it goes quiet)', responses: { 200: { description: 'status', schema: kafkaStatus } } },
  listTests: {
    method: 'GET',
    path: '/api/tests',
    summary: 'Tests, newest first, a page at a time: the newest page without parameters; a Link header (rel="next") names the next page while there is one',
    query: historyPaging.safeExtend({
      state: z.enum(TEST_STATES, { error: `must be one of ${TEST_STATES.join(', ')}` }).optional().meta({ description: 'only tests in this state' }),
      plan: z.string().max(ID_MAX_LENGTH).optional().meta({ description: 'only the tests of this plan (its plan_id)' }),
      name: z.string().max(200).optional().meta({ description: 'only the plan tests of this name' }),
    }),
    responses: { 200: { description: 'a page of tests (the Link header names the next)', schema: z.array(testSummaryView) }, 400: error('a query parameter is not valid (`field` names it): a limit out of range, a state it does not know, a time that is not ISO-8601, an until not after since'), 404: error('no page at `before`: a cursor this API did not give') },
  },
  createTest: {
    method: 'POST',
    path: '/api/tests',
    summary: 'Create a test (publishes test_config); trigger: true also triggers it',
    changes: true,
    body: { name: 'CreateTest', schema: createTestBody, rules: createTestRules },
    responses: {
      201: { description: 'created', schema: testDetailView },
      ...bodyRefusals,
      401: unauthorized,
      409: error('not enough live drivers, or a named driver not alive or busy with another test (`field` is drivers, the message names them)'),
    },
  },
  getTest: { method: 'GET', path: '/api/tests/{test_id}', summary: 'A test: config, state, per-driver and aggregate figures', params: testIdParams, responses: { 200: { description: 'the test', schema: testDetailView }, 400: badPath, 404: notFoundTest, 414: idTooLong } },
  triggerTest: {
    method: 'POST',
    path: '/api/tests/{test_id}/trigger',
    summary: 'Publish the trigger',
    changes: true,
    params: testIdParams,
    responses: { 202: { description: 'triggered', schema: testDetailView }, ...bodyRefusals, 401: unauthorized, 404: notFoundTest, 409: error('not in state created, or drivers gone or busy with another test'), 414: idTooLong },
  },
  cancelTest: {
    method: 'POST',
    path: '/api/tests/{test_id}/cancel',
    summary: 'Stop a test on every driver',
    changes: true,
    params: testIdParams,
    responses: {
      202: { description: 'cancel sent; a finished test keeps its verdict while the drivers still running it are told to stop', schema: testDetailView },
      ...bodyRefusals,
      401: unauthorized,
      404: notFoundTest,
      409: error('already finished and no driver still runs it'),
      414: idTooLong,
    },
  },
  steerTest: {
    method: 'PATCH',
    path: '/api/tests/{test_id}',
    summary: 'Steer a running test: change a plain test’s rate, a scenario’s rate or VUs, or pause and resume it, on every driver at one instant (a little ahead: apply_at in the log)',
    changes: true,
    params: testIdParams,
    body: { name: 'SteerTest', schema: steeringChange, rules: () => STEERING_RULES },
    responses: {
      200: { description: 'the change is in the log and on its way to the drivers; `steering` lists it with its apply_at', schema: testDetailView },
      ...bodyRefusals,
      401: unauthorized,
      404: notFoundTest,
      409: error('the test is not running'),
      414: idTooLong,
    },
  },
  testEvents: { method: 'GET', path: '/api/tests/{test_id}/events', summary: "The test's append-only event log, in order", params: testIdParams, responses: { 200: { description: 'events', schema: z.array(testEventView) }, 400: badPath, 404: notFoundTest, 414: idTooLong } },
  testReport: {
    method: 'GET',
    path: '/api/tests/{test_id}/report',
    summary: 'The full result for export: JSON with a timeline per driver, CSV with a row per driver and one overall, or one self-contained HTML page (opens without a network)',
    params: testIdParams,
    query: z.object({
      format: z.enum(REPORT_FORMATS, { error: `must be ${REPORT_FORMATS.join(', ')}` }).default('json'),
      part: z.enum(REPORT_PARTS, { error: `must be ${REPORT_PARTS.join(' or ')}` }).default('summary').meta({ description: 'CSV only: summary (a row per driver, overall, per request) or timeline (a row per timeline point)' }),
    }),
    responses: {
      200: { description: 'report', schema: testReportView, alternatives: { 'text/csv': z.string(), 'text/html': z.string() } },
      400: error(`format is not one of ${REPORT_FORMATS.join(', ')}, part not one of ${REPORT_PARTS.join(', ')}, or the path is not valid percent-encoding`),
      404: notFoundTest,
      414: idTooLong,
    },
  },
  liveEvents: {
    method: 'GET',
    path: '/api/events',
    summary: 'Server-Sent Events: status, drivers, tests, and (with ?test_id=) one test; a snapshot on connect, then changes at most every 250 ms',
    query: z.object({ test_id: z.string().max(ID_MAX_LENGTH, `must be at most ${ID_MAX_LENGTH} characters`).optional().meta({ description: 'also stream this test' }) }),
    responses: { 200: { description: 'event stream; each schema below is one event', schema: liveEvent, contentType: 'text/event-stream' }, 400: error(`test_id is longer than ${ID_MAX_LENGTH} characters`) },
  },
  listPlans: {
    method: 'GET',
    path: '/api/plans',
    summary: 'Plans, newest first, a page at a time (as GET /api/tests)',
    query: historyPaging.safeExtend({ state: z.enum(['running', 'finished'], { error: 'must be running or finished' }).optional().meta({ description: 'only plans in this state' }) }),
    responses: { 200: { description: 'a page of plans (the Link header names the next)', schema: z.array(planView) }, 400: error('a query parameter is not valid (`field` names it)'), 404: error('no page at `before`: a cursor this API did not give') },
  },
  createPlan: {
    method: 'POST',
    path: '/api/plans',
    summary: 'Create a plan: its tests run one after another, a failed one retried up to its retries; the orchestrator evaluates each test’s thresholds',
    changes: true,
    body: { name: 'CreatePlan', schema: createPlanBody },
    responses: { 201: { description: 'created; the first test starts at once', schema: planView }, ...bodyRefusals, 401: unauthorized },
  },
  getPlan: { method: 'GET', path: '/api/plans/{plan_id}', summary: 'A plan: each test’s state, attempts (with their test ids) and verdicts', params: planIdParams, responses: { 200: { description: 'the plan', schema: planView }, 400: badPath, 404: error('no plan with this plan_id'), 414: idTooLong } },
  cancelPlan: {
    method: 'POST',
    path: '/api/plans/{plan_id}/cancel',
    summary: 'Cancel a plan: its running test is cancelled on the drivers and the tests after it are not run',
    changes: true,
    params: planIdParams,
    responses: { 202: { description: 'cancel requested; the plan ends cancelled once its running test has stopped', schema: planView }, ...bodyRefusals, 401: unauthorized, 404: error('no plan with this plan_id'), 409: error('the plan is already finished'), 414: idTooLong },
  },
  uploadData: {
    method: 'POST',
    path: '/api/data',
    summary: 'Upload a file of test data (CSV with a header row, a JSON array of objects, or JSON Lines); tests name it by its data_id',
    changes: true,
    rawBody: { contentTypes: DATA_CONTENT_TYPES, description: `the file as it is: text/csv, application/json (an array of objects) or application/x-ndjson (JSON Lines); at most ${DATA_LIMITS.fileBytes} bytes, ${DATA_LIMITS.rows} rows, ${DATA_LIMITS.columns} columns` },
    responses: {
      201: { description: 'stored (or already stored: the same bytes have the same id)', schema: dataFileView },
      400: error('the file is not valid for its format (`message` names the line or row), or a column name cannot be used as {{data.COLUMN}}, or it has too many rows or columns'),
      401: unauthorized,
      413: error(`the file is larger than ${DATA_LIMITS.fileBytes} bytes`),
      415: error(`the body is none of ${DATA_CONTENT_TYPES.join(', ')}`),
    },
  },
  listData: { method: 'GET', path: '/api/data', summary: 'Uploaded data files, newest first', responses: { 200: { description: 'files', schema: z.array(dataFileView) } } },
  getData: { method: 'GET', path: '/api/data/{data_id}', summary: 'One uploaded data file', params: dataIdParams, responses: { 200: { description: 'the file', schema: dataFileView }, 400: error('not a data_id'), 404: error('no file with this data_id') } },
  deleteData: {
    method: 'DELETE',
    path: '/api/data/{data_id}',
    summary: 'Delete an uploaded data file',
    changes: true,
    params: dataIdParams,
    responses: { 204: { description: 'deleted' }, 400: error('not a data_id'), 401: unauthorized, 404: error('no file with this data_id'), 409: error('a test not finished yet reads it') },
  },
  metrics: { method: 'GET', path: '/metrics', summary: 'Prometheus text', responses: { 200: { description: 'metrics', schema: z.string(), contentType: 'text/plain' } } },
  openApi: { method: 'GET', path: '/openapi.json', summary: 'This document', responses: { 200: { description: 'OpenAPI 3.1', schema: z.looseObject({ openapi: z.string(), paths: z.record(z.string(), z.unknown()) }) } } },
} as const satisfies Record<string, RouteSpec>;

export type RouteName = keyof typeof ROUTES;
