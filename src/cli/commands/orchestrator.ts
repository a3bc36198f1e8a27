import { startOrchestrator } from '../../orchestrator/orchestratorNode.js';
import { commandSecrets } from '../commandSecrets.js';
import { accessToken, applyLogFormat, logFormatHelp, LOG_FORMAT_OPTION, parseCommandFlags, parseHostPort, requireString } from '../args.js';
import { watchInterrupt } from '../interrupt.js';
import { UnreachableError, UsageError } from '../usageError.js';

const HELP = `Usage: stampede orchestrator --kafka HOST:PORT --orchestrator HOST:PORT [--store FILE] [--token TOKEN] [--secret-file FILE] [--log-format json|pretty]

The orchestrator: REST API and live dashboard on --orchestrator, runtime controller on Kafka.

  --kafka HOST:PORT         Kafka bootstrap broker (comma-separated for several)
  --orchestrator HOST:PORT  where the REST API and dashboard listen (e.g. 127.0.0.1:7070)
  --store FILE              SQLite metrics store and event log (default .stampede/orchestrator.db)
  --token TOKEN             require "Authorization: Bearer TOKEN" on every POST (creating, triggering
                            or cancelling a test); reading stays open. STAMPEDE_TOKEN works too and
                            keeps the token out of the process list.
  --secret-file FILE        shared secret of the drivers: sign every test_config, trigger and control
                            (HMAC-SHA256) so drivers started with it obey only this orchestrator.
                            One secret per line, the first signs; STAMPEDE_SECRET works too.
${logFormatHelp(28)}
  -h, --help                show this help`;

export async function run(argv: string[]): Promise<number> {
  const values = parseCommandFlags(argv, { kafka: { type: 'string' }, orchestrator: { type: 'string' }, store: { type: 'string' }, token: { type: 'string' }, 'secret-file': { type: 'string', multiple: true }, ...LOG_FORMAT_OPTION }, HELP, 'orchestrator');
  if (!values) return 0;
  applyLogFormat(values['log-format']);
  const brokers = requireString(values.kafka, 'kafka').split(',');
  brokers.forEach((broker) => parseHostPort(broker, 'kafka'));
  const { host, port } = parseHostPort(requireString(values.orchestrator, 'orchestrator'), 'orchestrator');
  const token = accessToken(values.token);
  const [commandSecret] = commandSecrets(values['secret-file']);
  const orchestrator = await startOrchestrator({ brokers, host, port, token, commandSecret, storeFile: values.store ?? '.stampede/orchestrator.db' }).catch((error: Error & { code?: string }) => {
    if (error.code === 'EADDRINUSE') throw new UsageError(`--orchestrator ${host}:${port} is already in use`);
    if (/cannot reach Kafka/.test(error.message)) throw new UnreachableError(error.message);
    throw error;
  });
  console.log(`orchestrator listening on ${orchestrator.url} (dashboard ${orchestrator.url}/)${token ? '; changes need the token' : ''}${commandSecret ? '; commands signed' : ''}`);
  await watchInterrupt().signaled;
  await orchestrator.close();
  return 0;
}
