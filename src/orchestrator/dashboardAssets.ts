import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

/** Modules of src/api, compiled, that the dashboard imports as they are: one rule for the page and the CLI. */
const SHARED_MODULES = ['lateStartWarning.js'];

/** dist/src/orchestrator → the package root, where web/ lives. */
function packageRoot(): string {
  return join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
}

/** The .js files below a folder, as paths relative to it. */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((file) => extname(file) === '.js').map((file) => file.split('\\').join('/'));
}

/**
 * The dashboard is static files from web/ plus uPlot from node_modules, all served locally
 * (no internet needed). Files are read once at start-up and served from memory by exact path.
 */
export function registerDashboard(app: FastifyInstance): void {
  const assets = new Map<string, { body: Buffer; type: string }>();
  const webDir = join(packageRoot(), 'web');
  if (existsSync(webDir)) {
    for (const name of readdirSync(webDir)) {
      const type = CONTENT_TYPES[extname(name)];
      if (type) assets.set(`/${name}`, { body: readFileSync(join(webDir, name)), type });
    }
  }
  const uplotDir = join(dirname(createRequire(import.meta.url).resolve('uplot')), '..', 'dist');
  for (const name of ['uPlot.iife.min.js', 'uPlot.min.css']) {
    const file = join(uplotDir, name);
    if (existsSync(file)) assets.set(`/vendor/${name}`, { body: readFileSync(file), type: CONTENT_TYPES[extname(name)]! });
  }
  // The yaml package's browser build (ES modules importing each other by relative path), for the form's
  // scenarios in YAML: the page imports it only when a scenario is typed as YAML.
  const yamlDir = join(dirname(createRequire(import.meta.url).resolve('yaml')), '..', 'browser', 'dist');
  for (const file of filesUnder(yamlDir)) assets.set(`/vendor/yaml/${file}`, { body: readFileSync(join(yamlDir, file)), type: CONTENT_TYPES['.js']! });
  const apiDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'api');
  for (const name of SHARED_MODULES) assets.set(`/${name}`, { body: readFileSync(join(apiDir, name)), type: CONTENT_TYPES['.js']! });
  const index = assets.get('/index.html');
  app.get('/', async (_request, reply) => (index ? reply.type(index.type).send(index.body) : reply.code(404).send({ error: 'Not Found', message: 'dashboard not built' })));
  for (const [path, asset] of assets) app.get(path, async (_request, reply) => reply.type(asset.type).header('cache-control', 'no-cache').send(asset.body));
}
