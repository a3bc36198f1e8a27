import { brokerCertificate, kafkaStatus, startKafka, stopKafka, type BrokerProcess, type HostPort } from '../../broker/embeddedKafka.js';
import { createLogger } from '../../log/logger.js';
import { parseFlags, parseHostPort, parsePositiveInt } from '../args.js';
import { translateBrokerErrors } from '../brokerErrors.js';
import { closestName } from '../closestName.js';
import { UsageError } from '../usageError.js';

const DEFAULT_PORT = 9092;
const DEFAULT_DATA_DIR = '.stampede/kafka';
const ACTIONS = ['start', 'stop', 'status'];
const PASSWORD_VARIABLE = 'STAMPEDE_KAFKA_PASSWORD';

const HELP = `Usage: stampede kafka start [--port ${DEFAULT_PORT} | --listen HOST:PORT [--advertise HOST:PORT]]
                          [--brokers 1|3] [--sasl-user NAME [--tls]] [--data-dir DIR]
       stampede kafka stop [--data-dir DIR]
       stampede kafka status [--data-dir DIR]

A real Apache Kafka broker (KRaft), or a local cluster of three. The first start fetches its jars
from Maven Central (infra/kafka/pom.xml); it needs Java 17 and Maven. start returns once every
broker answers; it is harmless when they already run, and starts again any broker of the set that
is down (it rejoins). status lists every broker with its address and pid; it exits 0 when all run,
3 when any does not.

  --port N              listen on 127.0.0.1:N (the controller uses N+1; default ${DEFAULT_PORT})
  --listen HOST:PORT    the client listener (e.g. 0.0.0.0:9092 or this host's address); the
                        controller stays private on 127.0.0.1:PORT+1
  --advertise HOST:PORT the address clients are told to use (default: --listen; required when
                        listening on 0.0.0.0)
  --brokers N           1, or 3 for a local three-broker cluster on consecutive port pairs
                        (PORT, PORT+2, PORT+4); topics then have 3 replicas, 2 in sync to write
  --sasl-user NAME      require SASL (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512) as NAME, with the
                        password from ${PASSWORD_VARIABLE} (never a flag)
  --tls                 TLS on the client listener with a generated self-signed certificate
                        (clients trust it with --kafka-tls --kafka-ca DIR/tls/broker-cert.pem)
  --data-dir DIR        storage, logs (broker.log) and pid files (default ${DEFAULT_DATA_DIR})`;

const OPTIONS = {
  port: { type: 'string' },
  listen: { type: 'string' },
  advertise: { type: 'string' },
  brokers: { type: 'string' },
  'sasl-user': { type: 'string' },
  tls: { type: 'boolean' },
  'data-dir': { type: 'string' },
} as const;

type Values = ReturnType<typeof parseFlags<typeof OPTIONS>>['values'];

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(argv, OPTIONS, 'kafka');
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const [action, ...extra] = positionals;
  if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}" after "kafka ${action}"`);
  const dataDir = values['data-dir'] ?? DEFAULT_DATA_DIR;
  if (action === 'start') return start(values, dataDir);
  const startOnly = (['port', 'listen', 'advertise', 'brokers', 'sasl-user', 'tls'] as const).find((flag) => values[flag] !== undefined);
  if (startOnly) throw new UsageError(`--${startOnly} only applies to "kafka start"`);
  if (action === 'stop') return stop(dataDir);
  if (action === 'status') return status(dataDir);
  if (!action) throw new UsageError('missing kafka action: start, stop or status');
  const suggestion = closestName(action, ACTIONS);
  throw new UsageError(`unknown kafka action "${action}"; ${suggestion ? `did you mean "${suggestion}"?` : 'start, stop or status'}`);
}

function listenAddress(values: Values): HostPort {
  if (values.listen !== undefined && values.port !== undefined) throw new UsageError('give either --port or --listen, not both');
  if (values.listen !== undefined) return parseHostPort(values.listen, 'listen');
  return { host: '127.0.0.1', port: parsePositiveInt(values.port, 'port', DEFAULT_PORT) };
}

function brokerCount(value: string | undefined): number {
  const count = parsePositiveInt(value, 'brokers', 1);
  if (count !== 1 && count !== 3) throw new UsageError(`--brokers must be 1 or 3, got "${value}"`);
  return count;
}

async function start(values: Values, dataDir: string): Promise<number> {
  const listen = listenAddress(values);
  if (listen.port > 65534) throw new UsageError(`--port must be 1 to 65534 (the controller uses port + 1), got ${listen.port}`);
  const advertise = values.advertise === undefined ? undefined : parseHostPort(values.advertise, 'advertise');
  const brokers = brokerCount(values.brokers);
  const { alreadyRunning, status } = await translateBrokerErrors(() =>
    startKafka({ listen, advertise, brokers, saslUser: values['sasl-user'], saslPassword: process.env[PASSWORD_VARIABLE], tls: values.tls === true, dataDir, log: createLogger('kafka') }),
  );
  const where = status.brokers.length === 1 ? `${status.address} (pid ${status.pid}, data ${status.dataDir})` : `${status.address} (${status.brokers.length} brokers, data ${status.dataDir})`;
  console.log(alreadyRunning ? `Kafka broker already running on ${where}` : `Kafka broker running on ${where}`);
  if (status.brokers.length > 1) status.brokers.forEach((broker) => console.log(brokerLine(broker)));
  if (status.security.saslUser !== undefined) console.log(`  SASL user ${status.security.saslUser}`);
  if (status.security.tls) console.log(`  TLS: clients trust ${brokerCertificate(dataDir)}`);
  return 0;
}

async function stop(dataDir: string): Promise<number> {
  const result = await translateBrokerErrors(() => stopKafka({ dataDir, log: createLogger('kafka') }));
  if (!result.wasRunning) console.log('Kafka broker not running');
  else console.log(`Kafka broker stopped (pid ${result.pids.join(', ')}${result.killed ? ', killed after the SIGTERM grace period' : ''})`);
  return 0;
}

function brokerLine(broker: BrokerProcess): string {
  const state = broker.running ? `running (pid ${broker.pid})` : 'not running';
  return `  broker ${broker.nodeId} ${broker.address} (listens on ${broker.listen}, controller ${broker.controller}): ${state}`;
}

function status(dataDir: string): number {
  const current = kafkaStatus({ dataDir });
  if (!current.running) {
    console.log(`Kafka broker not running (data ${current.dataDir})`);
    current.brokers.filter(() => current.brokers.length > 1).forEach((broker) => console.log(brokerLine(broker)));
    return 3;
  }
  const head = current.brokers.length === 1 ? `(pid ${current.pid}, data ${current.dataDir})` : `(${current.brokers.length - current.missing} of ${current.brokers.length} brokers, data ${current.dataDir})`;
  console.log(`Kafka broker running on ${current.address} ${head}`);
  current.brokers.forEach((broker) => console.log(brokerLine(broker)));
  return current.missing === 0 ? 0 : 3;
}
