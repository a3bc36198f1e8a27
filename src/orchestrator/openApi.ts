import { z } from 'zod';
import { createTestRequest } from './createTestRequest.js';
import { TEST_STATES } from './testEvents.js';

const latency = {
  type: 'object',
  description: 'milliseconds; null before the first response. mode: most frequent latency rounded to 0.1 ms',
  properties: Object.fromEntries(['min', 'max', 'mean', 'median', 'mode', 'p90', 'p95', 'p99'].map((k) => [k, { type: ['number', 'null'] }])),
};

const figures = {
  type: 'object',
  properties: {
    sent: { type: 'integer' },
    completed: { type: 'integer', description: 'responses received plus requests ended by an error' },
    errors: { type: 'object', additionalProperties: { type: 'integer' }, description: 'by kind: http_<status>, timeout, connection_refused, connection_reset, connection_error, other' },
    error_count: { type: 'integer' },
    error_samples: { type: 'object', additionalProperties: { type: 'array', items: { type: 'string' }, maxItems: 5 }, description: 'by error kind: its first distinct messages (socket, TLS or status text), at most 5 of at most 300 characters' },
    in_flight: { type: 'integer' },
    late_starts: { type: 'integer' },
    rps: { type: ['number', 'null'] },
    elapsed_ms: { type: 'number' },
    latency,
    approximate: { type: 'boolean', description: 'true when a driver sent no histogram, so latencies are not an exact merge' },
  },
};

const test = {
  type: 'object',
  properties: {
    test_id: { type: 'string' },
    state: { enum: [...TEST_STATES] },
    reason: { type: ['string', 'null'] },
    created_at: { type: 'string', format: 'date-time' },
    triggered_at: { type: ['string', 'null'], format: 'date-time' },
    finished_at: { type: ['string', 'null'], format: 'date-time' },
    config: { type: 'object' },
    driver_ids: { type: 'array', items: { type: 'string' } },
    aggregate: { $ref: '#/components/schemas/Figures' },
    drivers: { type: 'array', items: { allOf: [{ $ref: '#/components/schemas/Figures' }, { type: 'object', properties: { node_id: { type: 'string' }, final: { type: 'boolean' }, outcome: { type: ['string', 'null'] }, progress: { type: 'number' }, phase: { enum: ['warmup', 'workload', null], description: 'warmup while the driver sends its warm-up requests (kept out of every figure)' }, warmup_completed: { type: 'integer' } } }] } },
  },
};

const driver = {
  type: 'object',
  properties: {
    node_id: { type: 'string' },
    node_ip: { type: ['string', 'null'] },
    status: { enum: ['alive', 'lost', 'left'], description: 'lost: no heartbeat for 3 s; left: the driver deregistered (DRIVER_NODE_DEREGISTER)' },
    last_heartbeat: { type: ['string', 'null'] },
    registered_at: { type: ['string', 'null'] },
    state: { type: ['string', 'null'] },
    current_test: { type: ['string', 'null'] },
    deregistered: { type: 'boolean' },
  },
};

const fieldError = { type: 'object', properties: { field: { type: 'string', description: 'path of the field, dot-separated' }, message: { type: 'string' } } };
const error = {
  type: 'object',
  properties: {
    error: { type: 'string' },
    field: { type: 'string', description: 'the first bad field' },
    message: { type: 'string' },
    errors: { type: 'array', items: fieldError, description: '400 on a request body: every bad field, each with its own message' },
  },
};

const kafkaStatus = {
  type: 'object',
  properties: {
    last_kafka_message_at: { type: ['string', 'null'], format: 'date-time', description: 'when the newest register, heartbeat or metrics message arrived; null before the first' },
    kafka_readable: { type: 'boolean', description: 'false while the orchestrator cannot fetch from Kafka' },
  },
};

const json = (schema: object) => ({ content: { 'application/json': { schema } } });
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const nodeParam = [{ name: 'node_id', in: 'path', required: true, schema: { type: 'string' } }];
const idParam = [{ name: 'test_id', in: 'path', required: true, schema: { type: 'string' } }];
const notFound = { description: 'unknown test_id', ...json(ref('Error')) };
/** Only when the orchestrator runs with --token; reading needs none. */
const tokenIfSet = { security: [{}, { bearerToken: [] }] };
const unauthorized = { description: 'the orchestrator runs with --token and the request did not carry it', ...json(ref('Error')) };

/** The OpenAPI 3.1 document; the request body schema is generated from the same zod schema that validates it. */
export function openApiDocument(): object {
  return {
    openapi: '3.1.0',
    info: { title: 'Stampede orchestrator', version: '0.1.0', description: 'Control and observe distributed HTTP load tests. Latencies in milliseconds; times ISO-8601.' },
    paths: {
      '/api/drivers': { get: { summary: 'Registered drivers and their liveness', responses: { 200: { description: 'drivers', ...json({ type: 'array', items: ref('Driver') }) } } } },
      '/api/drivers/{node_id}': {
        delete: {
          summary: 'Remove a driver that left or was lost from the list (it comes back if it is heard from again)',
          ...tokenIfSet,
          parameters: nodeParam,
          responses: { 204: { description: 'removed' }, 401: unauthorized, 404: { description: 'unknown node_id', ...json(ref('Error')) }, 409: { description: 'the driver is alive', ...json(ref('Error')) } },
        },
      },
      '/api/status': { get: { summary: 'What the orchestrator hears from Kafka (the dashboard warns when it goes quiet)', responses: { 200: { description: 'status', ...json(ref('KafkaStatus')) } } } },
      '/api/tests': {
        get: { summary: 'All tests, newest first', responses: { 200: { description: 'tests', ...json({ type: 'array', items: ref('Test') }) } } },
        post: {
          summary: 'Create a test (publishes test_config); trigger: true also triggers it',
          ...tokenIfSet,
          requestBody: { required: true, ...json(ref('CreateTest')) },
          responses: { 201: { description: 'created', ...json(ref('Test')) }, 400: { description: 'invalid body; `field` names the field', ...json(ref('Error')) }, 401: unauthorized, 409: { description: 'not enough live drivers, or a named driver busy with another test (the message names it)', ...json(ref('Error')) } },
        },
      },
      '/api/tests/{test_id}': { get: { summary: 'A test: config, state, per-driver and aggregate figures', parameters: idParam, responses: { 200: { description: 'the test', ...json(ref('Test')) }, 404: notFound } } },
      '/api/tests/{test_id}/trigger': { post: { summary: 'Publish the trigger', ...tokenIfSet, parameters: idParam, responses: { 202: { description: 'triggered', ...json(ref('Test')) }, 401: unauthorized, 404: notFound, 409: { description: 'not in state created, or drivers gone or busy with another test', ...json(ref('Error')) } } } },
      '/api/tests/{test_id}/cancel': { post: { summary: 'Stop a test on every driver', ...tokenIfSet, parameters: idParam, responses: { 202: { description: 'cancel sent; a finished test keeps its verdict while the drivers still running it are told to stop', ...json(ref('Test')) }, 401: unauthorized, 404: notFound, 409: { description: 'already finished and no driver still runs it', ...json(ref('Error')) } } } },
      '/api/tests/{test_id}/events': { get: { summary: "The test's append-only event log, in order", parameters: idParam, responses: { 200: { description: 'events', ...json({ type: 'array', items: { type: 'object' } }) }, 404: notFound } } },
      '/api/tests/{test_id}/report': {
        get: {
          summary: 'The full result for export',
          parameters: [...idParam, { name: 'format', in: 'query', schema: { enum: ['json', 'csv'], default: 'json' } }],
          responses: { 200: { description: 'report', content: { 'application/json': { schema: ref('Test') }, 'text/csv': { schema: { type: 'string' } } } }, 404: notFound },
        },
      },
      '/api/events': { get: { summary: 'Server-Sent Events: status (as GET /api/status), drivers, tests, and (with ?test_id=) one test, pushed at most every 250 ms', responses: { 200: { description: 'event stream', content: { 'text/event-stream': { schema: { type: 'string' } } } } } } },
      '/metrics': { get: { summary: 'Prometheus text', responses: { 200: { description: 'metrics', content: { 'text/plain': { schema: { type: 'string' } } } } } } },
      '/openapi.json': { get: { summary: 'This document', responses: { 200: { description: 'OpenAPI', ...json({ type: 'object' }) } } } },
    },
    components: {
      securitySchemes: { bearerToken: { type: 'http', scheme: 'bearer', description: 'the token given to `stampede orchestrator --token` (or STAMPEDE_TOKEN)' } },
      schemas: {
        CreateTest: z.toJSONSchema(createTestRequest, { io: 'input', unrepresentable: 'any' }),
        Test: test,
        Figures: figures,
        Driver: driver,
        KafkaStatus: kafkaStatus,
        Error: error,
      },
    },
  };
}
