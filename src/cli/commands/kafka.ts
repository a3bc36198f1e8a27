import { BrokerError, kafkaStatus, startKafka, stopKafka } from '../../broker/embeddedKafka.js';
import { parseFlags, parsePositiveInt } from '../args.js';
import { UsageError } from '../usageError.js';

const HELP = `Usage: stampede kafka start [--port 9092] [--data-dir DIR]
       stampede kafka stop [--data-dir DIR]
       stampede kafka status [--data-dir DIR]

A real single-node Apache Kafka broker (KRaft) on 127.0.0.1, for one machine. The first start
fetches its jars from Maven Central (infra/kafka/pom.xml); it needs Java 17 and Maven.
start returns once the broker answers; it is harmless when the broker already runs.

  --port N        the broker's port (the controller uses N+1; default 9092)
  --data-dir DIR  storage, log (broker.log) and pid file (default .stampede/kafka)
`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(argv, { port: { type: 'string' }, 'data-dir': { type: 'string' } });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const action = positionals[0];
  const dataDir = values['data-dir'] ?? '.stampede/kafka';
  try {
    if (action === 'start') return await start(parsePositiveInt(values.port, 'port', 9092), dataDir);
    if (action === 'stop') return await stop(dataDir);
    if (action === 'status') return status(dataDir);
  } catch (error) {
    if (error instanceof BrokerError) {
      console.error(`stampede kafka: ${error.message}`);
      return 1;
    }
    throw error;
  }
  throw new UsageError(action ? `unknown kafka action "${action}" (start, stop or status)` : 'missing kafka action: start, stop or status');
}

async function start(port: number, dataDir: string): Promise<number> {
  if (port > 65534) throw new UsageError(`--port must be at most 65534 (the controller uses port + 1), got ${port}`);
  const { alreadyRunning, status } = await startKafka({ port, dataDir });
  if (status.running) console.log(`Kafka broker ${alreadyRunning ? 'already running' : 'running'} on ${status.address} (pid ${status.pid}, data ${status.dataDir})`);
  return 0;
}

async function stop(dataDir: string): Promise<number> {
  const result = await stopKafka({ dataDir });
  console.log(result.wasRunning ? `Kafka broker stopped (pid ${result.pid})` : 'Kafka broker not running');
  return 0;
}

function status(dataDir: string): number {
  const current = kafkaStatus(dataDir);
  console.log(current.running ? `Kafka broker running on ${current.address} (pid ${current.pid})` : 'Kafka broker not running');
  return current.running ? 0 : 3;
}
