import { commandSecrets } from '../commandSecrets.js';
import { accessToken, applyLogFormat, logFormatHelp, LOG_FORMAT_OPTION, parseCommandFlags, parseHostPort, parsePositiveInt, requireString } from '../args.js';
import { watchInterrupt } from '../interrupt.js';
import { KAFKA_FLAGS, KAFKA_FLAGS_HELP, parseKafkaFlags } from '../kafkaFlags.js';
import { UnreachableError, UsageError } from '../usageError.js';
import { loadWithSmallYoungGeneration } from '../youngGeneration.js';
import { durationSeconds } from '../../protocol/duration.js';

const HELP = `Usage: stampede orchestrator --kafka HOST:PORT --orchestrator HOST:PORT [--store FILE] [--data-dir DIR] [--retain AGE] [--retain-tests N] [--token TOKEN] [--secret-file FILE] [--log-format json|pretty]

The orchestrator: REST API and live dashboard on --orchestrator, runtime controller on Kafka.
It waits for Kafka as long as it takes (a log line every few seconds); a refused password or a
failed TLS handshake ends it at once (exit 1).

${KAFKA_FLAGS_HELP}
  --orchestrator HOST:PORT  where the REST API and dashboard listen (e.g. 127.0.0.1:7070)
  --store FILE              SQLite metrics store and event log (default .stampede/orchestrator.db)
  --data-dir DIR            where uploaded test data is kept (default: beside the store,
                            .stampede/orchestrator-data for the default store)
  --retain AGE              remove finished tests and plans (their events, figures and reports) that
                            finished longer ago than AGE (90d, 12h), in the background; never a
                            running one. A removed test is answered 404 saying so
  --retain-tests N          keep only the N newest finished tests (and N newest finished plans)
  --token TOKEN             require "Authorization: Bearer TOKEN" on every POST (creating, triggering
                            or cancelling a test); reading stays open. STAMPEDE_TOKEN works too and
                            keeps the token out of the process list.
  --secret-file FILE        shared secret of the drivers: sign every test_config, trigger and control
                            (HMAC-SHA256) so drivers started with it obey only this orchestrator.
                            One secret per line, the first signs; STAMPEDE_SECRET works too.
${logFormatHelp(28)}
  -h, --help                show this help`;

/** The orchestrator's modules (the Kafka client, Fastify, zod, SQLite) load once the flags are good: help and a flag mistake answer at once. */
function loadOrchestratorProgram() {
  return loadWithSmallYoungGeneration(async () => {
    const [{ startOrchestrator }, { KafkaRefusedError, KafkaWaitAbortedError }] = await Promise.all([import('../../orchestrator/orchestratorNode.js'), import('../../bus/index.js')]);
    return { startOrchestrator, KafkaRefusedError, KafkaWaitAbortedError };
  });
}

export async function run(argv: string[]): Promise<number> {
  const values = parseCommandFlags(argv, { ...KAFKA_FLAGS, orchestrator: { type: 'string' }, store: { type: 'string' }, 'data-dir': { type: 'string' }, retain: { type: 'string' }, 'retain-tests': { type: 'string' }, token: { type: 'string' }, 'secret-file': { type: 'string', multiple: true }, ...LOG_FORMAT_OPTION }, HELP, 'orchestrator');
  if (!values) return 0;
  applyLogFormat(values['log-format']);
  const { brokers, security } = parseKafkaFlags(values);
  const { host, port } = parseHostPort(requireString(values.orchestrator, 'orchestrator'), 'orchestrator');
  const token = accessToken(values.token);
  const retention = retentionPolicy(values.retain, values['retain-tests']);
  const [commandSecret] = commandSecrets(values['secret-file']);
  const { startOrchestrator, KafkaRefusedError, KafkaWaitAbortedError } = await loadOrchestratorProgram();
  const interrupt = watchInterrupt();
  const stopWaiting = new AbortController();
  void interrupt.signaled.then(() => stopWaiting.abort());
  const storeFile = values.store ?? '.stampede/orchestrator.db';
  const orchestrator = await startOrchestrator({ brokers, security, signal: stopWaiting.signal, host, port, token, commandSecret, storeFile, dataDir: values['data-dir'], retention }).catch((error: Error & { code?: string }) => {
    if (error instanceof KafkaWaitAbortedError) return undefined;
    if (error.code === 'EADDRINUSE') throw new UsageError(`--orchestrator ${host}:${port} is already in use`);
    if (error instanceof KafkaRefusedError || /cannot reach Kafka/.test(error.message)) throw new UnreachableError(error.message);
    throw error;
  });
  if (!orchestrator) return 0;
  console.log(`orchestrator listening on ${orchestrator.url} (dashboard ${orchestrator.url}/)${token ? '; changes need the token' : ''}${commandSecret ? '; commands signed' : ''}`);
  await interrupt.signaled;
  await orchestrator.close();
  return 0;
}

/** `--retain AGE` and `--retain-tests N`; undefined when neither is given. */
function retentionPolicy(age: string | undefined, count: string | undefined): { maxAgeMs?: number; keep?: number } | undefined {
  if (age === undefined && count === undefined) return undefined;
  const seconds = age === undefined ? undefined : durationSeconds(age);
  if (age !== undefined && !(seconds !== undefined && seconds > 0)) throw new UsageError(`--retain must be an age such as 90d, 12h or 30m, got "${age}"`);
  return { ...(seconds === undefined ? {} : { maxAgeMs: seconds * 1000 }), ...(count === undefined ? {} : { keep: parsePositiveInt(count, 'retain-tests', 1) }) };
}
