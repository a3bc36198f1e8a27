import { Admin } from '@platformatic/kafka';
import { clientConnectionOptions, type KafkaSecurity } from './kafkaConnection.js';

/** Whether a broker serves requests, which a TCP connect does not prove: it must answer a real metadata request. */
export async function answersMetadata(address: string, security: KafkaSecurity | undefined): Promise<boolean> {
  const admin = new Admin({ clientId: 'stampede-kafka-probe', ...clientConnectionOptions([address], security), retries: 0, timeout: 2_000 });
  try {
    await admin.metadata({ topics: [] });
    return true;
  } catch {
    return false;
  } finally {
    await admin.close().catch(() => undefined);
  }
}
