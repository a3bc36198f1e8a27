import { execFileSync } from 'node:child_process';
import { testBrokers } from './kafka.js';

/** Publishes one record with kcat (librdkafka): an independent client, as an outsider would use. */
export function kcatProduce(topic: string, text: string): void {
  execFileSync('kcat', ['-b', testBrokers().join(','), '-P', '-t', topic], { input: text + '\n', timeout: 15_000 });
}
