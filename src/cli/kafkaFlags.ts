import { readFileSync } from 'node:fs';
import { SASL_MECHANISMS, type KafkaSecurity, type SaslMechanism } from '../bus/kafkaConnection.js';
import { parseHostPort, requireString } from './args.js';
import { UsageError } from './usageError.js';

/** The password never comes from a flag: flags show in `ps` and in shell history. */
export const KAFKA_PASSWORD_VARIABLE = 'STAMPEDE_KAFKA_PASSWORD';

/** The flags of every node that talks to Kafka. */
export const KAFKA_FLAGS = {
  kafka: { type: 'string' },
  'kafka-tls': { type: 'boolean' },
  'kafka-ca': { type: 'string' },
  'kafka-sasl': { type: 'string' },
  'kafka-user': { type: 'string' },
} as const;

export const KAFKA_FLAGS_HELP = `  --kafka HOST:PORT[,HOST:PORT...]  Kafka bootstrap broker(s), comma-separated (required)
  --kafka-tls               connect to Kafka over TLS
  --kafka-ca FILE           PEM certificate(s) to trust instead of the system CAs (implies --kafka-tls)
  --kafka-sasl MECHANISM    SASL: plain, scram-sha-256 or scram-sha-512 (needs --kafka-user)
  --kafka-user NAME         the SASL user; the password comes from ${KAFKA_PASSWORD_VARIABLE} only`;

type KafkaFlagValues = { kafka?: string | undefined; 'kafka-tls'?: boolean | undefined; 'kafka-ca'?: string | undefined; 'kafka-sasl'?: string | undefined; 'kafka-user'?: string | undefined };

export type KafkaSettings = { brokers: string[]; security: KafkaSecurity | undefined };

/** The bootstrap list and the security settings, or a UsageError naming the flag that is wrong. */
export function parseKafkaFlags(values: KafkaFlagValues, env: NodeJS.ProcessEnv = process.env): KafkaSettings {
  const brokers = parseBrokers(requireString(values.kafka, 'kafka'));
  const tls = values['kafka-tls'] === true || values['kafka-ca'] !== undefined ? { ca: readCa(values['kafka-ca']) } : undefined;
  const sasl = parseSasl(values, env);
  return { brokers, security: tls || sasl ? { tls, sasl } : undefined };
}

function parseBrokers(value: string): string[] {
  return value.split(',').map((broker) => {
    const { host, port } = parseHostPort(broker.trim(), 'kafka');
    return `${host.includes(':') ? `[${host}]` : host}:${port}`;
  });
}

function readCa(file: string | undefined): string | undefined {
  if (file === undefined) return undefined;
  let pem: string;
  try {
    pem = readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`--kafka-ca ${file} cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw new UsageError(`--kafka-ca ${file} holds no PEM certificate`);
  return pem;
}

function parseSasl(values: KafkaFlagValues, env: NodeJS.ProcessEnv): KafkaSecurity['sasl'] {
  const mechanismFlag = values['kafka-sasl'];
  const username = values['kafka-user'];
  if (mechanismFlag === undefined) {
    if (username !== undefined) throw new UsageError('--kafka-user needs --kafka-sasl plain|scram-sha-256|scram-sha-512');
    return undefined;
  }
  const mechanism = mechanismFlag.toUpperCase() as SaslMechanism;
  if (!SASL_MECHANISMS.includes(mechanism)) throw new UsageError(`--kafka-sasl must be plain, scram-sha-256 or scram-sha-512, got "${mechanismFlag}"`);
  if (username === undefined || username === '') throw new UsageError(`--kafka-sasl ${mechanismFlag} needs --kafka-user NAME`);
  const password = env[KAFKA_PASSWORD_VARIABLE];
  if (password === undefined || password === '') throw new UsageError(`--kafka-sasl ${mechanismFlag} needs the password in ${KAFKA_PASSWORD_VARIABLE} (it is never a flag)`);
  return { mechanism, username, password };
}
