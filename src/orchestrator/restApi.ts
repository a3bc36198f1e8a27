import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import type { Logger } from '../log/logger.js';
import { createTestRequest, fieldErrors } from './createTestRequest.js';
import { selectDrivers } from './driverSelection.js';
import type { LiveUpdates } from './liveUpdates.js';
import { openApiDocument } from './openApi.js';
import { prometheusText } from './prometheus.js';
import { ControlError, type RuntimeController } from './runtimeController.js';
import type { FiguresCalculator } from './testFigures.js';
import { detailView, reportCsv, reportView, summaryView } from './testViews.js';
import { bearerTokenCheck } from './accessToken.js';
import { registerDashboard } from './dashboardAssets.js';

export type RestApiDeps = {
  controller: RuntimeController;
  figures: FiguresCalculator;
  live: LiveUpdates;
  log: Logger;
  rejectedMessages: () => Record<string, number>;
  /** When set, every POST or DELETE (each creates, triggers or cancels load, or changes the driver list) needs `Authorization: Bearer <token>`. */
  token?: string | undefined;
};

type IdParams = { Params: { test_id: string } };
type NodeParams = { Params: { node_id: string } };

/** Methods that only read; every other one changes what the orchestrator does. */
const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Routes of docs/protocol.md and ../shared/design/interfaces.md; JSON in snake_case. */
export function buildRestApi(deps: RestApiDeps): FastifyInstance {
  // Fastify's own request logging stays off: lifecycle logs come from our pino logger.
  const app = Fastify({ logger: false, bodyLimit: 64 * 1024 });
  app.setErrorHandler((error: Error & { statusCode?: number }, _request, reply) => sendError(reply, error, deps.log));
  app.setNotFoundHandler((request, reply) => reply.code(404).send({ error: 'Not Found', message: `no route ${request.method} ${request.url}` }));
  if (deps.token !== undefined) requireTokenForChanges(app, deps.token, deps.log);
  registerTestRoutes(app, deps);
  app.get('/api/drivers', async () => deps.controller.drivers.list());
  app.delete<NodeParams>('/api/drivers/:node_id', async (request, reply) => {
    deps.controller.removeDriver(request.params.node_id);
    return reply.code(204).send();
  });
  app.get('/api/status', async () => deps.controller.kafkaStatus());
  app.get('/api/events', (request, reply) => deps.live.attach(request.raw, reply));
  app.get('/openapi.json', async () => openApiDocument());
  app.get('/metrics', async (_request, reply) => reply.type('text/plain; version=0.0.4').send(prometheusText(deps.controller, deps.figures, deps.rejectedMessages())));
  registerDashboard(app);
  return app;
}

/** Reading stays open (dashboards, Prometheus); whatever fires load or changes state needs the token. */
function requireTokenForChanges(app: FastifyInstance, token: string, log: Logger): void {
  const authorized = bearerTokenCheck(token);
  app.addHook('onRequest', async (request, reply) => {
    if (READ_METHODS.has(request.method) || authorized(request.headers.authorization)) return;
    log.warn({ url: request.url, remote: request.ip }, 'request without the right token refused');
    await reply
      .code(401)
      .header('www-authenticate', 'Bearer')
      .send({ error: 'Unauthorized', message: 'this orchestrator needs its token: send Authorization: Bearer <token> (stampede run --token, or the dashboard\'s Token field)' });
  });
}

function registerTestRoutes(app: FastifyInstance, deps: RestApiDeps): void {
  const { controller, figures } = deps;
  app.post('/api/tests', async (request, reply) => {
    const parsed = createTestRequest.safeParse(request.body ?? {});
    if (!parsed.success) {
      const errors = fieldErrors(parsed.error).map(({ field, message }) => ({ field, message: `${field}: ${message}` }));
      // field and message name the first problem (for one-line clients); errors lists every one.
      return reply.code(400).send({ error: 'Bad Request', ...errors[0], errors });
    }
    const { drivers, trigger, ...config } = parsed.data;
    const chosen = selectDrivers(controller.drivers.available(), drivers, controller.busyDrivers());
    const test = await controller.createTest(config, chosen);
    if (trigger) await controller.triggerTest(test.test_id);
    return reply.code(201).send(detailView(test, figures));
  });
  app.get('/api/tests', async () => controller.tests.list().map((t) => summaryView(t, figures)));
  app.get<IdParams>('/api/tests/:test_id', async (request) => detailView(mustFind(controller, request.params.test_id), figures));
  app.get<IdParams>('/api/tests/:test_id/events', async (request) => {
    mustFind(controller, request.params.test_id);
    return controller.tests.eventsOf(request.params.test_id);
  });
  app.post<IdParams>('/api/tests/:test_id/trigger', async (request, reply) => reply.code(202).send(detailView(await controller.triggerTest(request.params.test_id), figures)));
  app.post<IdParams>('/api/tests/:test_id/cancel', async (request, reply) => reply.code(202).send(detailView(await controller.cancelTest(request.params.test_id), figures)));
  app.get<IdParams & { Querystring: { format?: string } }>('/api/tests/:test_id/report', async (request, reply) => {
    const test = mustFind(controller, request.params.test_id);
    const format = request.query.format ?? 'json';
    if (format === 'csv') {
      return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${test.test_id}.csv"`).send(reportCsv(detailView(test, figures)));
    }
    if (format !== 'json') return reply.code(400).send({ error: 'Bad Request', field: 'format', message: 'format: must be json or csv' });
    return reportView(test, figures);
  });
}

function mustFind(controller: RuntimeController, testId: string) {
  const test = controller.tests.get(testId);
  if (!test) throw new ControlError('not_found', `no test with id ${testId}`);
  return test;
}

function sendError(reply: FastifyReply, error: Error & { statusCode?: number }, log: Logger) {
  if (error instanceof ControlError) {
    const status = error.code === 'not_found' ? 404 : 409;
    const field = error.field === undefined ? {} : { field: error.field };
    return reply.code(status).send({ error: status === 404 ? 'Not Found' : 'Conflict', ...field, message: error.message });
  }
  const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
  if (status === 500) log.error({ err: error, url: reply.request.url }, 'request failed');
  return reply.code(status).send({ error: status === 500 ? 'Internal Server Error' : 'Bad Request', message: error.message });
}
