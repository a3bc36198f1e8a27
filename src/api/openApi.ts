import { z } from 'zod';
import { ROUTES, type ResponseSpec, type RouteSpec } from './routes.js';

type JsonSchema = Record<string, unknown>;

/** zod → JSON Schema 2020-12 (OpenAPI 3.1's dialect), without the `$schema` line each would repeat. */
function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'draft-2020-12' }) as JsonSchema;
  return rest;
}

/** A request body's schema: the one the route validates with, plus its rules across fields. */
export function requestBodySchema(body: { schema: z.ZodType; rules?: (jsonSchema: (schema: z.ZodType) => JsonSchema) => JsonSchema[] }): JsonSchema {
  const rules = body.rules?.((schema) => jsonSchema(schema, 'input')) ?? [];
  return { ...jsonSchema(body.schema, 'input'), ...(rules.length > 0 ? { allOf: rules } : {}) };
}

function responseObject(spec: ResponseSpec): object {
  if (!spec.schema) return { description: spec.description };
  const content: Record<string, object> = { [spec.contentType ?? 'application/json']: { schema: jsonSchema(spec.schema, 'output') } };
  for (const [type, schema] of Object.entries(spec.alternatives ?? {})) content[type] = { schema: jsonSchema(schema, 'output') };
  return { description: spec.description, content };
}

function parameters(schema: z.ZodObject | undefined, where: 'path' | 'query'): object[] {
  if (!schema) return [];
  const object = jsonSchema(schema, 'input') as { properties: Record<string, JsonSchema>; required?: string[] };
  return Object.entries(object.properties).map(([name, property]) => {
    const { description, ...rest } = property;
    return { name, in: where, required: where === 'path' || (object.required ?? []).includes(name), ...(description === undefined ? {} : { description }), schema: rest };
  });
}

function operation(route: RouteSpec): object {
  const params = [...parameters(route.params, 'path'), ...parameters(route.query, 'query')];
  return {
    summary: route.summary,
    // Optional: the token is needed only when the orchestrator was started with one; reading never needs it.
    ...(route.changes ? { security: [{}, { bearerToken: [] }] } : {}),
    ...(params.length > 0 ? { parameters: params } : {}),
    ...(route.body ? { requestBody: { required: true, content: { 'application/json': { schema: { $ref: `#/components/schemas/${route.body.name}` } } } } } : {}),
    ...(route.rawBody ? { requestBody: { required: true, description: route.rawBody.description, content: Object.fromEntries(route.rawBody.contentTypes.map((type) => [type, { schema: { type: 'string' } }])) } } : {}),
    responses: Object.fromEntries(Object.entries(route.responses).map(([status, spec]) => [status, responseObject(spec)])),
  };
}

/** The OpenAPI 3.1 document, generated from the route table: every request and response schema is the one the code uses. */
export function openApiDocument(): object {
  const paths: Record<string, Record<string, object>> = {};
  const schemas: Record<string, JsonSchema> = {};
  for (const route of Object.values(ROUTES) as RouteSpec[]) {
    (paths[route.path] ??= {})[route.method.toLowerCase()] = operation(route);
    if (route.body) schemas[route.body.name] = requestBodySchema(route.body);
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Stampede orchestrator', version: '0.1.0', description: 'Control and observe distributed HTTP load tests. Latencies in milliseconds; times ISO-8601. A method a path does not list is answered 405 with an Allow header.' },
    paths,
    components: { schemas, securitySchemes: { bearerToken: { type: 'http', scheme: 'bearer', description: 'the token given to `stampede orchestrator --token` (or STAMPEDE_TOKEN)' } } },
  };
}
