import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { freePort, stopChild, tempDir } from './processes.js';

const NGINX = '/usr/sbin/nginx';
/** Generous: beside the other streams of the suite, nginx once took over 5 s to answer its first request. */
const READY_TIMEOUT_MS = 15_000;

export type NginxServer = { url: string; origin: string; stop: () => Promise<void> };

/** What a test serves beside /ping: files under www/ (path → content) and lines of the server block. */
export type NginxSite = { files?: Record<string, string>; serverLines?: string[] };

function config(dir: string, port: number, serverLines: readonly string[]): string {
  // Every path lives in the temp dir so nginx needs no system directories; one worker, as our target has.
  return `worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  keepalive_requests 1000000;
  server {
    listen 127.0.0.1:${port};
    root ${dir}/www;
${serverLines.map((line) => `    ${line}`).join('\n')}
  }
}
`;
}

/** nginx in the foreground serving a small static file at /ping, the same size as the target's /ping answer, and `site`. */
export async function startNginx(site: NginxSite = {}): Promise<NginxServer> {
  const dir = tempDir('stampede-bench-nginx-');
  // Run as root, nginx's worker drops to `nobody`, which must be able to read the file it serves.
  chmodSync(dir, 0o755);
  const port = await freePort();
  mkdirSync(join(dir, 'www'));
  writeFileSync(join(dir, 'www', 'ping'), '{"message":"pong"}');
  for (const [path, content] of Object.entries(site.files ?? {})) {
    mkdirSync(dirname(join(dir, 'www', path)), { recursive: true });
    writeFileSync(join(dir, 'www', path), content);
  }
  writeFileSync(join(dir, 'nginx.conf'), config(dir, port, site.serverLines ?? []));
  const child = spawn(NGINX, ['-p', dir, '-c', join(dir, 'nginx.conf'), '-g', 'daemon off;'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const origin = `http://127.0.0.1:${port}`;
  const url = `${origin}/ping`;
  const stop = (): Promise<void> => stopChild(child, 'SIGQUIT');
  try {
    await waitUntilServing(url);
  } catch (error) {
    await stop();
    throw new Error(`${(error as Error).message}; nginx said: ${stderr}`, { cause: error });
  }
  return { url, origin, stop };
}

async function waitUntilServing(url: string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const ok = await fetch(url).then((r) => r.ok, () => false);
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nginx did not serve ${url} within ${READY_TIMEOUT_MS} ms`);
}
