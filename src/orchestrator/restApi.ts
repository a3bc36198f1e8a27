import { STATUS_CODES } from 'node:http';
import type { Readable } from 'node:stream';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { createTestBody, DATA_CONTENT_TYPES, fieldErrors, parseInput, openApiDocument, plannedConfig, planSpec, ROUTES, type FieldError, type RouteSpec } from '../api/index.js';
import type { Logger } from '../log/logger.js';
import { htmlReport, machineInfo } from '../report/index.js';
import { ID_MAX_LENGTH } from '../protocol/index.js';
import { bearerTokenCheck } from './accessToken.js';
import { dataFormatOf, DataUploadError, type DataCatalog, type DataSummary } from './data/dataCatalog.js';
import { dataFileView, dataRowCounts, testDataProblems, testsReading } from './data/testData.js';
import { registerDashboard } from './dashboardAssets.js';
import { neededCapability, selectDrivers } from './driverSelection.js';
import type { LiveUpdates } from './liveUpdates.js';
import type { PlanRunner } from './planRunner.js';
import { planViewOf } from './planViews.js';
import { OrchestratorMetrics } from './prometheus.js';
import { ControlError, SteeringError, type RuntimeController } from './runtimeController.js';
import { CursorError, inTimeRange, pageOf, type Page } from './pages.js';
import type { SummaryViews } from './summaryViews.js';
import { testHistoryPage } from './testHistory.js';
import type { FiguresCalculator } from './testFigures.js';
import { detailView, reportCsv, reportTimelineCsv, reportView } from './testViews.js';

export type RestApiDeps = {
  controller: RuntimeController;
  /** Uploaded test data. */
  catalog: DataCatalog;
  plans: PlanRunner;
  figures: FiguresCalculator;
  /** The tests as lists show them (a finished test's view kept, not folded again for every page). */
  summaries: SummaryViews;
  live: LiveUpdates;
  log: Logger;
  rejectedMessages: () => Record<string, number>;
  /** When set, every POST or DELETE (each creates, triggers or cancels load, or changes the driver list) needs `Authorization: Bearer <token>`. */
  token?: string | undefined;
};

/** Methods that only read; every other one changes what the orchestrator does. */
const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const BODY_LIMIT_BYTES = 64 * 1024;
/**
 * The router measures a path parameter as sent, percent-encoded: up to 12 characters for one of the
 * id's (a 4-byte UTF-8 character, 2 UTF-16 units). The decoded id's own limit is checked against the
 * route's schema, with the same answer (414).
 */
const MAX_ENCODED_PARAM_LENGTH = ID_MAX_LENGTH * 12;

/** Routes of src/api/routes.ts (the contract, and the OpenAPI document's source); JSON in snake_case. */
export function buildRestApi(deps: RestApiDeps): FastifyInstance {
  // Fastify's own request logging stays off: lifecycle logs come from our pino logger.
  const app = Fastify({
    logger: false,
    bodyLimit: BODY_LIMIT_BYTES,
    routerOptions: { maxParamLength: MAX_ENCODED_PARAM_LENGTH },
    // What the router refuses (a path it cannot decode: 400; an id too long to route: 414) gets the same error body as the rest.
    frameworkErrors: (error: Error & { statusCode?: number }, _request: FastifyRequest, reply: FastifyReply) => {
      const status = error.statusCode ?? 400;
      void reply.code(status).send({ error: STATUS_CODES[status], message: error.message });
    },
  });
  app.setErrorHandler((error: Error & { statusCode?: number }, _request, reply) => sendError(reply, error, deps.log));
  app.setNotFoundHandler((request, reply) => reply.code(404).send({ error: 'Not Found', message: `no route ${request.method} ${request.url}` }));
  refuseUndeclaredMethods(app);
  if (deps.token !== undefined) requireTokenForChanges(app, deps.token, deps.log);
  registerRoutes(app, deps);
  registerDashboard(app);
  return app;
}

function registerRoutes(app: FastifyInstance, deps: RestApiDeps): void {
  const { controller, figures } = deps;
  serve(app, ROUTES.listDrivers, () => controller.drivers.list());
  serve(app, ROUTES.removeDriver, ({ params }, reply) => {
    controller.removeDriver(params.node_id);
    return reply.code(204).send();
  });
  serve(app, ROUTES.status, () => controller.kafkaStatus());
  serve(app, ROUTES.listTests, ({ query }, reply, request) => {
    const page = paged(() => testHistoryPage(controller.tests.list(), deps.plans.plans.list(), query));
    linkNextPage(reply, request, page.next);
    return deps.summaries.viewsOf(page.items);
  });
  serve(app, ROUTES.createTest, async ({ body }, reply) => {
    const { drivers, trigger, find_capacity, ...fields } = body;
    const dataProblems = testDataProblems(fields, deps.catalog);
    if (dataProblems.length > 0) throw new InputError(400, dataProblems);
    const chosen = selectDrivers(controller.drivers.available(), drivers, controller.busyDrivers(), neededCapability(fields));
    const test = await controller.createTest(plannedConfig({ ...fields, find_capacity }, chosen.length), chosen, dataRowCounts(fields.data, deps.catalog), find_capacity);
    if (trigger) await controller.triggerTest(test.test_id);
    return reply.code(201).send(detailView(test, figures));
  });
  serve(app, ROUTES.getTest, ({ params }) => detailView(controller.mustGet(params.test_id), figures));
  serve(app, ROUTES.triggerTest, async ({ params }, reply) => reply.code(202).send(detailView(await controller.triggerTest(params.test_id), figures)));
  serve(app, ROUTES.steerTest, async ({ params, body }) => {
    try {
      return detailView(await controller.steerTest(params.test_id, body), figures);
    } catch (error) {
      if (error instanceof SteeringError) throw new InputError(400, error.problems);
      throw error;
    }
  });
  serve(app, ROUTES.cancelTest, async ({ params }, reply) => reply.code(202).send(detailView(await controller.cancelTest(params.test_id), figures)));
  serve(app, ROUTES.testEvents, ({ params }) => {
    controller.mustExist(params.test_id);
    return controller.tests.eventsOf(params.test_id);
  });
  serve(app, ROUTES.testReport, ({ params, query }, reply) => {
    const test = controller.mustGet(params.test_id);
    if (query.format === 'json') return reportView(test, figures);
    if (query.format === 'html') return reply.type('text/html; charset=utf-8').send(htmlReport({ report: reportView(test, figures), machine: machineInfo(), generated_at: new Date().toISOString() }));
    const timeline = query.part === 'timeline';
    const csv = timeline ? reportTimelineCsv(reportView(test, figures)) : reportCsv(detailView(test, figures));
    return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${csvFileName(test.test_id, timeline)}"`).send(csv);
  });
  serve(app, ROUTES.liveEvents, ({ query }, reply, request) => deps.live.attach(request.raw, reply, query.test_id));
  serve(app, ROUTES.listPlans, ({ query }, reply, request) => {
    const plans = deps.plans.plans.list().filter((plan) => (query.state === undefined || plan.state === query.state) && inTimeRange(plan.created_at, query));
    const page = paged(() => pageOf(plans, (plan) => ({ at: plan.created_at, id: plan.plan_id }), query.limit, query.before));
    linkNextPage(reply, request, page.next);
    return page.items.map((plan) => planViewOf(deps.plans.mustGet(plan.plan_id)));
  });
  serve(app, ROUTES.createPlan, ({ body }, reply) => {
    const spec = planSpec(body);
    const dataProblems = spec.tests.flatMap((test, i) => testDataProblems(createTestBody.parse(test.body), deps.catalog).map(({ field, message }) => ({ field: `tests[${i}].${field}`, message })));
    if (dataProblems.length > 0) throw new InputError(400, dataProblems);
    return reply.code(201).send(planViewOf(deps.plans.createPlan(spec)));
  });
  serve(app, ROUTES.getPlan, ({ params }) => planViewOf(deps.plans.mustGet(params.plan_id)));
  serve(app, ROUTES.cancelPlan, ({ params }, reply) => reply.code(202).send(planViewOf(deps.plans.cancelPlan(params.plan_id))));
  registerDataRoutes(app, deps);
  const metrics = new OrchestratorMetrics({ controller, figures, rejectedMessages: deps.rejectedMessages });
  serve(app, ROUTES.metrics, async (_input, reply) => reply.type(metrics.registry.contentType).send(await metrics.text()));
  // Built on first request, not at start: it takes about 0.1 s of a restart that REST waits for.
  let document: ReturnType<typeof openApiDocument> | undefined;
  serve(app, ROUTES.openApi, () => (document ??= openApiDocument()));
}

/** A page, or 404 for a cursor this API did not give: there is no such page (any string is a cursor by the document). */
function paged<T>(read: () => Page<T>): Page<T> {
  try {
    return read();
  } catch (error) {
    if (error instanceof CursorError) throw new ControlError('not_found', `no page at before=…: it ${error.message}`, 'before');
    throw error;
  }
}

/** The next page as a Link header (RFC 8288): the same query with its cursor; none on the last page. */
function linkNextPage(reply: FastifyReply, request: FastifyRequest, next: string | null): void {
  if (next === null) return;
  const url = new URL(request.url, 'http://orchestrator');
  url.searchParams.set('before', next);
  void reply.header('link', `<${url.pathname}${url.search}>; rel="next"`);
}

/** Test data files: the upload streams its body to the catalog, so its own media types and no JSON parsing. */
function registerDataRoutes(app: FastifyInstance, deps: RestApiDeps): void {
  const { controller, catalog } = deps;
  const view = (file: DataSummary) => dataFileView(file, controller.tests.unfinished());
  const mustFindData = (dataId: string) => {
    const file = catalog.get(dataId);
    if (!file) throw new ControlError('not_found', `no data file ${dataId}`);
    return file;
  };
  void app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser([...DATA_CONTENT_TYPES], (_request, payload, done) => done(null, payload));
    serve(scope, ROUTES.uploadData, async (_input, reply, request) => {
      const format = dataFormatOf(request.headers['content-type']);
      if (!format) throw Object.assign(new Error(`the body is none of ${DATA_CONTENT_TYPES.join(', ')}`), { statusCode: 415 });
      const file = await catalog.upload(request.body as Readable, format).catch((error: unknown) => {
        if (!(error instanceof DataUploadError)) throw error;
        throw error.limit === 'fileBytes' ? Object.assign(new Error(error.message), { statusCode: 413 }) : new InputError(400, [{ field: '(body)', message: error.message }]);
      });
      deps.log.info({ data_id: file.data_id, rows: file.rows, columns: file.columns.length, bytes: file.bytes }, 'data file stored');
      return reply.code(201).send(view(file));
    });
  });
  serve(app, ROUTES.listData, () => catalog.list().map(view));
  serve(app, ROUTES.getData, ({ params }) => view(mustFindData(params.data_id)));
  serve(app, ROUTES.deleteData, ({ params }, reply) => {
    mustFindData(params.data_id);
    const readers = testsReading(params.data_id, controller.tests.unfinished());
    if (readers.length > 0) throw new ControlError('conflict', `data file ${params.data_id} is read by tests not finished yet: ${readers.join(', ')}`);
    catalog.delete(params.data_id);
    deps.log.info({ data_id: params.data_id }, 'data file deleted');
    return reply.code(204).send();
  });
}

type Parsed<S> = S extends z.ZodType ? z.output<S> : undefined;
type RouteInput<R extends RouteSpec> = { params: Parsed<R['params']>; query: Parsed<R['query']>; body: R['body'] extends { schema: infer B } ? Parsed<B> : undefined };

/** Why a request's input was refused: 414 for an id too long, 400 naming every bad field otherwise. */
class InputError extends Error {
  constructor(
    readonly status: 400 | 414,
    readonly errors: FieldError[],
  ) {
    super(errors[0]?.message);
  }
}

/** Registers a route of the contract: its params, query and body are checked by the contract's schemas before the handler sees them. */
function serve<R extends RouteSpec>(app: FastifyInstance, route: R, handler: (input: RouteInput<R>, reply: FastifyReply, request: FastifyRequest) => unknown): void {
  app.route({
    method: route.method,
    url: route.path.replace(/\{(\w+)\}/g, ':$1'),
    handler: async (request, reply) => {
      const input = { params: parse(route.params, request.params, 414), query: parse(route.query, request.query, 400), body: parse(route.body?.schema, request.body ?? {}, 400) };
      return handler(input as RouteInput<R>, reply, request);
    },
  });
}

/** `tooLong` answers an id too long to be one (414); any other problem of the input is a 400. */
function parse(schema: z.ZodType | undefined, value: unknown, tooLong: 400 | 414): unknown {
  if (!schema) return undefined;
  const parsed = parseInput(schema, value ?? {});
  if (parsed.success) return parsed.data;
  const status = parsed.error.issues.every((issue) => issue.code === 'too_big') ? tooLong : 400;
  throw new InputError(status, fieldErrors(parsed.error));
}

/** OpenAPI paths as patterns, with the methods each declares (HEAD comes with GET). */
const DECLARED_METHODS = (() => {
  const byPath = new Map<string, { pattern: RegExp; methods: Set<string> }>();
  for (const route of Object.values(ROUTES) as RouteSpec[]) {
    const entry = byPath.get(route.path) ?? { pattern: new RegExp(`^${route.path.replace(/\{\w+\}/g, '[^/]+')}$`), methods: new Set<string>() };
    entry.methods.add(route.method);
    if (route.method === 'GET') entry.methods.add('HEAD');
    byPath.set(route.path, entry);
  }
  return [...byPath.values()];
})();

/** A method a known path does not have is 405 with the ones it has, not 404 ("no such thing"). */
function refuseUndeclaredMethods(app: FastifyInstance): void {
  app.addHook('onRequest', async (request, reply) => {
    if (!request.is404) return;
    const path = request.url.split('?')[0] ?? '';
    const declared = DECLARED_METHODS.find((entry) => entry.pattern.test(path));
    if (!declared || declared.methods.has(request.method)) return;
    const allow = [...declared.methods].join(', ');
    await reply.code(405).header('allow', allow).send({ error: STATUS_CODES[405], message: `${request.method} is not a method of ${path}; it has ${allow}` });
  });
}

/** Reading stays open (dashboards, Prometheus); whatever fires load or changes state needs the token. */
function requireTokenForChanges(app: FastifyInstance, token: string, log: Logger): void {
  const authorized = bearerTokenCheck(token);
  app.addHook('onRequest', async (request, reply) => {
    if (READ_METHODS.has(request.method) || reply.sent || authorized(request.headers.authorization)) return;
    log.warn({ url: request.url, remote: request.ip }, 'request without the right token refused');
    await reply
      .code(401)
      .header('www-authenticate', 'Bearer')
      .send({ error: 'Unauthorized', message: 'this orchestrator needs its token: send Authorization: Bearer <token> (stampede run --token, or the dashboard\'s Token field)' });
  });
}

/** A test id is user input: only safe characters go into the header's file name. */
function csvFileName(testId: string, timeline: boolean): string {
  return `${testId.replace(/[^\w.-]/g, '_')}${timeline ? '-timeline' : ''}.csv`;
}

function sendError(reply: FastifyReply, error: Error & { statusCode?: number }, log: Logger) {
  if (error instanceof InputError) {
    const errors = error.errors.map(({ field, message }) => ({ field, message: `${field}: ${message}` }));
    // field and message name the first problem (for one-line clients); errors lists every one.
    return reply.code(error.status).send({ error: STATUS_CODES[error.status], ...errors[0], errors });
  }
  if (error instanceof ControlError) {
    const status = error.code === 'not_found' ? 404 : 409;
    const field = error.field === undefined ? {} : { field: error.field };
    return reply.code(status).send({ error: STATUS_CODES[status], ...field, message: error.message });
  }
  const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
  if (status === 500) log.error({ err: error, url: reply.request.url }, 'request failed');
  return reply.code(status).send({ error: STATUS_CODES[status] ?? 'Error', message: error.message });
}
