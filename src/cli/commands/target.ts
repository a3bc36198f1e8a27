import { applyLogFormat, logFormatHelp, LOG_FORMAT_OPTION, parseCommandFlags, parseFlags, parsePositiveInt } from '../args.js';
import { watchInterrupt } from '../interrupt.js';
import { UsageError } from '../usageError.js';
import { loadWithSmallYoungGeneration } from '../youngGeneration.js';
import { createLogger, type Logger } from '../../log/logger.js';
import { FAULT_FLAGS, FaultSettingError, NO_FAULTS, resolveFaults, type FaultSettings } from '../../target/faults.js';

const USAGE = `Usage: stampede target [options]

The HTTP server load tests aim at.
  GET /ping      200 {"message":"pong"} (any method is answered the same way)
  GET /metrics   Prometheus text: requests_received_total, responses_sent_total, in_flight;
                 JSON {"requests_received","responses_sent","in_flight"} with
                 Accept: application/json or ?format=json.
                 Counts every request except /metrics itself, summed over all workers.
  /api/…         a small API for user journeys (README, "User journeys"):
                 POST /api/login {"user":NAME} gives {"accessToken"} and a session cookie;
                 POST /api/items {"title":T}, GET /api/items, GET and DELETE /api/items/ID
                 need both, of the same user (403 otherwise). Nothing is stored.
  GET /queue?rps=N  served through one queue at exactly N requests per second (per
                 target process): a known capacity, for stampede run --find-capacity.

Options:
  --host HOST         address to bind (default 127.0.0.1)
  --port PORT         port to listen on; 0 picks a free one (default 8080)
  --workers N         processes sharing the port through node:cluster (default 1: no cluster)
${logFormatHelp(22)}

Fault injection on /ping (all off by default):
  --delay-ms D        add D ms of latency to every response (0..600000)
  --delay-ms-max M    make the latency uniformly random in [D, M] ms (D defaults to 0)
  --error-rate P      answer this fraction (0..1) with HTTP 500 {"error":"injected"}
  --drop-rate P       destroy the connection without any response for this fraction (0..1)

Per-request overrides: query parameters on /ping, same meaning as the flags:
  delay_ms, delay_ms_max, error_rate, drop_rate
  e.g. /ping?delay_ms=20&delay_ms_max=80&error_rate=0.1
  delay_ms alone makes the delay fixed; delay_ms_max alone keeps the --delay-ms minimum.
  An invalid value is answered with 400 and a message naming the parameter.

  -h, --help          show this help`;

const OPTIONS = {
  host: { type: 'string' },
  port: { type: 'string' },
  workers: { type: 'string' },
  'delay-ms': { type: 'string' },
  'delay-ms-max': { type: 'string' },
  'error-rate': { type: 'string' },
  'drop-rate': { type: 'string' },
  ...LOG_FORMAT_OPTION,
} as const;

// Far above any useful core count; stops a typo from forking thousands of processes.
const MAX_WORKERS = 256;

type FlagValues = ReturnType<typeof parseFlags<typeof OPTIONS>>['values'];
type TargetSettings = { host: string; port: number; workers: number; faults: FaultSettings };
type RunningTarget = { url: string; close(): Promise<void>; failed: Promise<Error> };

function parsePort(value: string | undefined): number {
  if (value === undefined) return 8080;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535 || value.trim() === '') {
    throw new UsageError(`--port must be an integer from 0 to 65535, got "${value}"`);
  }
  return port;
}

function parseSettings(values: FlagValues): TargetSettings {
  const host = values.host ?? '127.0.0.1';
  if (host === '') throw new UsageError('--host must not be empty');
  const workers = parsePositiveInt(values.workers, 'workers', 1);
  if (workers > MAX_WORKERS) throw new UsageError(`--workers must be at most ${MAX_WORKERS}, got ${workers}`);
  try {
    const faults = resolveFaults(NO_FAULTS, (key) => values[FAULT_FLAGS[key]], (key) => `--${FAULT_FLAGS[key]}`);
    return { host, port: parsePort(values.port), workers, faults };
  } catch (error) {
    throw error instanceof FaultSettingError ? new UsageError(error.message) : error;
  }
}

/** The server's modules load once the flags are good: help and a flag mistake answer at once. */
function loadTargetProgram() {
  return loadWithSmallYoungGeneration(async () => {
    const [{ startTargetCluster }, { ListenError, startTargetServer }] = await Promise.all([import('../../target/cluster.js'), import('../../target/targetServer.js')]);
    const start = async (settings: TargetSettings, logger: Logger): Promise<RunningTarget> => {
      if (settings.workers > 1) return startTargetCluster({ ...settings, logger });
      const server = await startTargetServer({ ...settings, logger });
      return { ...server, failed: new Promise<Error>(() => undefined) };
    };
    return { start, ListenError };
  });
}

/** Serves until the first SIGINT or SIGTERM; a second one then gets Node's default (immediate exit). */
export async function run(argv: string[]): Promise<number> {
  const values = parseCommandFlags(argv, OPTIONS, USAGE, 'target');
  if (!values) return 0;
  applyLogFormat(values['log-format']);
  const settings = parseSettings(values);
  const { start, ListenError } = await loadTargetProgram();
  const logger = createLogger('target');

  let target: RunningTarget;
  try {
    target = await start(settings, logger);
  } catch (error) {
    if (!(error instanceof ListenError)) throw error;
    console.error(`stampede target: ${error.message}`);
    return 1;
  }
  const stopSignal = watchInterrupt().signaled;
  logger.info({ url: target.url, workers: settings.workers, faults: settings.faults }, 'target listening');
  console.log(`target listening on ${target.url}`);

  const stop = await Promise.race([stopSignal, target.failed]);
  logger.info({ reason: stop instanceof Error ? stop.message : stop }, 'target stopping');
  await target.close();
  logger.info('target stopped');
  if (!(stop instanceof Error)) return 0;
  console.error(`stampede target: ${stop.message}`);
  return 1;
}
