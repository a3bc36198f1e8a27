import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * A small API for user journeys, under /api/: log in for a bearer token and a session cookie, then create,
 * read, list and delete items, each needing both of the same user. Nothing is stored: tokens, sessions and
 * item ids carry what they stand for (base64url), so the API answers alike from every target worker and
 * holds no memory however long a test runs. It checks what a journey must get right: a request with
 * another user's cookie, or none, is 403.
 */
export const JOURNEY_PREFIX = '/api/';

/** The longest request body read; a longer one is 413. */
const MAX_BODY_BYTES = 64 * 1024;

type Item = { id: string; title: string; owner: string };

export function serveJourneyApi(req: IncomingMessage, res: ServerResponse, path: string): void {
  readBody(req, (body) => {
    if (body === undefined) return send(res, 413, { error: `request body over ${MAX_BODY_BYTES} bytes` });
    const route = `${req.method ?? 'GET'} ${path.replace(/^\/api\/items\/[^/]+$/, '/api/items/:id')}`;
    if (route === 'POST /api/login') return login(res, body);
    const user = authorizedUser(req);
    if (user === undefined) return send(res, 403, { error: 'needs the bearer token and the session cookie of one user (POST /api/login)' });
    switch (route) {
      case 'POST /api/items':
        return createItem(res, body, user);
      case 'GET /api/items':
        return send(res, 200, { items: [], owner: user });
      case 'GET /api/items/:id':
      case 'DELETE /api/items/:id':
        return ownItem(res, path, user, req.method === 'DELETE');
      default:
        return send(res, 404, { error: `no route for ${route}` });
    }
  });
}

function login(res: ServerResponse, body: string): void {
  const user = jsonField(body, 'user');
  if (!user) return send(res, 400, { error: 'body must be JSON with a "user" string' });
  const token = encode(user);
  res.setHeader('set-cookie', `session=${token}; Path=/api; HttpOnly; SameSite=Lax`);
  send(res, 200, { accessToken: token, user: { name: user } });
}

function createItem(res: ServerResponse, body: string, owner: string): void {
  const title = jsonField(body, 'title');
  if (title === undefined) return send(res, 400, { error: 'body must be JSON with a "title" string' });
  const item: Item = { id: encode(JSON.stringify([title, owner])), title, owner };
  send(res, 201, item);
}

function ownItem(res: ServerResponse, path: string, user: string, remove: boolean): void {
  const id = path.slice('/api/items/'.length);
  const [title, owner] = (parseJson(decode(id)) as [string, string] | undefined) ?? [];
  if (typeof title !== 'string' || owner === undefined) return send(res, 404, { error: `no item ${id}` });
  if (owner !== user) return send(res, 403, { error: `item ${id} belongs to another user` });
  if (remove) return void res.writeHead(204).end();
  send(res, 200, { id, title, owner });
}

/** The user whose bearer token and session cookie agree; undefined when one is missing or they differ. */
function authorizedUser(req: IncomingMessage): string | undefined {
  const token = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
  const session = /(?:^|;\s*)session=([^;]+)/.exec(req.headers.cookie ?? '')?.[1];
  return token !== undefined && token === session ? decode(token) : undefined;
}

function readBody(req: IncomingMessage, then: (body: string | undefined) => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  req.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size <= MAX_BODY_BYTES) chunks.push(chunk);
  });
  req.on('end', () => then(size > MAX_BODY_BYTES ? undefined : Buffer.concat(chunks).toString('utf8')));
}

function jsonField(body: string, field: string): string | undefined {
  const value = (parseJson(body) as Record<string, unknown> | undefined)?.[field];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function encode(text: string): string {
  return Buffer.from(text).toString('base64url');
}

function decode(text: string): string {
  return Buffer.from(text, 'base64url').toString('utf8');
}

function send(res: ServerResponse, status: number, value: unknown): void {
  const body = Buffer.from(JSON.stringify(value));
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(body.length) }).end(body);
}
