import { kafkaStatus, startKafka, stopKafka } from '../../broker/embeddedKafka.js';
import { createLogger } from '../../log/logger.js';
import { parseFlags, parsePositiveInt } from '../args.js';
import { closestName } from '../closestName.js';
import { UsageError } from '../usageError.js';

const DEFAULT_PORT = 9092;
const DEFAULT_DATA_DIR = '.stampede/kafka';
const ACTIONS = ['start', 'stop', 'status'];

const HELP = `Usage: stampede kafka start [--port ${DEFAULT_PORT}] [--data-dir DIR]
       stampede kafka stop [--data-dir DIR]
       stampede kafka status [--data-dir DIR]

A real single-node Apache Kafka broker (KRaft) on 127.0.0.1, for one machine. The first start
fetches its jars from Maven Central (infra/kafka/pom.xml); it needs Java 17 and Maven.
start returns once the broker answers; it is harmless when the broker already runs.
status exits 0 when the broker runs, 3 when it does not.

  --port N        the broker's port (the controller uses N+1; default ${DEFAULT_PORT})
  --data-dir DIR  storage, log (broker.log) and pid file (default ${DEFAULT_DATA_DIR})`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(argv, { port: { type: 'string' }, 'data-dir': { type: 'string' } }, 'kafka');
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const [action, ...extra] = positionals;
  if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}" after "kafka ${action}"`);
  const dataDir = values['data-dir'] ?? DEFAULT_DATA_DIR;
  if (action === 'start') return start(parsePositiveInt(values.port, 'port', DEFAULT_PORT), dataDir);
  if (values.port !== undefined) throw new UsageError(`--port only applies to "kafka start"`);
  if (action === 'stop') return stop(dataDir);
  if (action === 'status') return status(dataDir);
  if (!action) throw new UsageError('missing kafka action: start, stop or status');
  const suggestion = closestName(action, ACTIONS);
  throw new UsageError(`unknown kafka action "${action}"; ${suggestion ? `did you mean "${suggestion}"?` : 'start, stop or status'}`);
}

async function start(port: number, dataDir: string): Promise<number> {
  const { alreadyRunning, status } = await startKafka({ port, dataDir, log: createLogger('kafka') });
  const where = `${status.address} (pid ${status.pid}, data ${status.dataDir})`;
  console.log(alreadyRunning ? `Kafka broker already running on ${where}` : `Kafka broker running on ${where}`);
  return 0;
}

async function stop(dataDir: string): Promise<number> {
  const result = await stopKafka({ dataDir, log: createLogger('kafka') });
  if (!result.wasRunning) console.log('Kafka broker not running');
  else console.log(`Kafka broker stopped (pid ${result.pid}${result.killed ? ', killed after the SIGTERM grace period' : ''})`);
  return 0;
}

function status(dataDir: string): number {
  const current = kafkaStatus({ dataDir });
  console.log(current.running ? `Kafka broker running on ${current.address} (pid ${current.pid}, data ${current.dataDir})` : `Kafka broker not running (data ${current.dataDir})`);
  return current.running ? 0 : 3;
}
