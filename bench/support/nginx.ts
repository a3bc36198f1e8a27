import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, stopChild, tempDir } from '../../test/helpers/processes.js';

const NGINX = '/usr/sbin/nginx';
const READY_TIMEOUT_MS = 5_000;

export type NginxServer = { url: string; stop: () => Promise<void> };

function config(dir: string, port: number): string {
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
    location / { root ${dir}/www; }
  }
}
`;
}

/** nginx in the foreground serving a small static file, the same size as the target's /ping answer. */
export async function startNginx(): Promise<NginxServer> {
  const dir = tempDir('stampede-bench-nginx-');
  // Run as root, nginx's worker drops to `nobody`, which must be able to read the file it serves.
  chmodSync(dir, 0o755);
  const port = await freePort();
  mkdirSync(join(dir, 'www'));
  writeFileSync(join(dir, 'www', 'ping'), '{"message":"pong"}');
  writeFileSync(join(dir, 'nginx.conf'), config(dir, port));
  const child = spawn(NGINX, ['-p', dir, '-c', join(dir, 'nginx.conf'), '-g', 'daemon off;'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const url = `http://127.0.0.1:${port}/ping`;
  const stop = (): Promise<void> => stopChild(child, 'SIGQUIT');
  try {
    await waitUntilServing(url);
  } catch (error) {
    await stop();
    throw new Error(`${(error as Error).message}; nginx said: ${stderr}`, { cause: error });
  }
  return { url, stop };
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
