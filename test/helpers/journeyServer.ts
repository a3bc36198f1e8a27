import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';

/**
 * A small API that issues tokens and cookies, for user-journey tests: POST /login gives a bearer token and
 * a session cookie; POST /posts, GET /posts/:id and DELETE /posts/:id need both, and the two must belong to
 * the same user, so a VU that mixed up its cookies with another's is answered 403 and counted.
 */
export type JourneyServer = {
  url: string;
  /** Requests per route, `POST /login`, `GET /posts/:id`… */
  counts: Map<string, number>;
  /** Per `x-vu` header value, the times (ms, performance clock) its requests arrived. */
  vuArrivals: Map<string, number[]>;
  /** Requests whose session cookie was missing or another user's. */
  cookieMismatches: () => number;
  /** Logins per user name. */
  logins: Map<string, number>;
  close: () => Promise<void>;
};

export type JourneyOptions = {
  /** Milliseconds GET /slow waits before answering. */
  slowMs?: number;
};

type Post = { id: number; title: string; userId: number };

export async function startJourneyServer(options: JourneyOptions = {}): Promise<JourneyServer> {
  const counts = new Map<string, number>();
  const vuArrivals = new Map<string, number[]>();
  const logins = new Map<string, number>();
  const posts = new Map<number, Post>();
  const sessions = new Map<string, number>();
  let users = 0;
  let nextPost = 1;
  let mismatches = 0;

  const handle = (req: IncomingMessage, res: ServerResponse, body: string): void => {
    const path = (req.url ?? '/').split('?')[0]!;
    const route = `${req.method} ${path.replace(/\/\d+$/, '/:id')}`;
    counts.set(route, (counts.get(route) ?? 0) + 1);
    const vu = req.headers['x-vu'];
    if (typeof vu === 'string') vuArrivals.set(vu, [...(vuArrivals.get(vu) ?? []), performance.now()]);
    if (route === 'POST /login') return login(res, body);
    if (route === 'GET /slow') return void setTimeout(() => json(res, 200, { slow: true }), options.slowMs ?? 0);
    if (route === 'GET /plain') return json(res, 200, { plain: true });
    const userId = authorizedUser(req);
    if (userId === undefined) return json(res, 403, { error: 'token and session cookie must be the same user' });
    if (route === 'POST /posts') {
      const post = { id: nextPost++, title: String((JSON.parse(body || '{}') as { title?: unknown }).title), userId };
      posts.set(post.id, post);
      return json(res, 201, post);
    }
    const post = posts.get(Number(path.split('/').pop()));
    if (route === 'GET /posts/:id') return post ? json(res, 200, post) : json(res, 404, { error: 'no such post' });
    if (route === 'DELETE /posts/:id') {
      if (!post) return json(res, 404, { error: 'no such post' });
      posts.delete(post.id);
      res.writeHead(204).end();
      return;
    }
    json(res, 404, { error: `no route ${route}` });
  };

  const login = (res: ServerResponse, body: string): void => {
    const name = String((JSON.parse(body || '{}') as { user?: unknown }).user);
    logins.set(name, (logins.get(name) ?? 0) + 1);
    users += 1;
    const session = `s${users}`;
    sessions.set(session, users);
    res.setHeader('set-cookie', [`session=${session}; Path=/; HttpOnly`, `theme=dark; Path=/other`]);
    json(res, 200, { accessToken: `t${users}`, user: { id: users, name } });
  };

  /** The user of both the bearer token and the session cookie; undefined when they differ or one is missing. */
  const authorizedUser = (req: IncomingMessage): number | undefined => {
    const token = /^Bearer t(\d+)$/.exec(req.headers.authorization ?? '')?.[1];
    const session = /(?:^|;\s*)session=(s\d+)/.exec(req.headers.cookie ?? '')?.[1];
    const sessionUser = session === undefined ? undefined : sessions.get(session);
    if (token === undefined || sessionUser !== Number(token)) {
      mismatches += 1;
      return undefined;
    }
    return sessionUser;
  };

  const server: Server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => handle(req, res, body));
  });
  await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    counts,
    vuArrivals,
    cookieMismatches: () => mismatches,
    logins,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function json(res: ServerResponse, status: number, value: unknown): void {
  const text = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }).end(text);
}

/** login → think → create → read (in a group) → delete, with captures, checks and the VU's id in a header. */
export function journeyFlow(url: string): unknown[] {
  const auth = { authorization: 'Bearer {{token}}', 'x-vu': '{{vu}}' };
  return [
    {
      name: 'login',
      method: 'POST',
      url: `${url}/login`,
      headers: { 'content-type': 'application/json', 'x-vu': '{{vu}}' },
      body: '{"user":"u{{vu}}"}',
      capture: { token: { json: '$.accessToken' }, user_id: { json: '$.user.id' } },
      check: [{ status: 200 }],
    },
    { think: '5ms..15ms' },
    {
      name: 'create',
      method: 'POST',
      url: `${url}/posts`,
      headers: { ...auth, 'content-type': 'application/json' },
      body: '{"title":"t{{vu}}-{{iteration}}","userId":{{user_id}}}',
      capture: { post_id: { json: '$.id' } },
      check: [{ json: '$.title', equals: 't{{vu}}-{{iteration}}' }],
    },
    { group: { name: 'readback', steps: [{ name: 'read', url: `${url}/posts/{{post_id}}`, headers: auth, check: [{ status: 200 }, { body_contains: '"title"' }, { max_ms: 5000 }] }] } },
    { name: 'delete', method: 'DELETE', url: `${url}/posts/{{post_id}}`, headers: auth, check: { status: 204 } },
  ];
}
