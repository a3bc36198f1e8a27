import { BrokerError, BrokerSettingError } from '../broker/brokerErrors.js';
import { UnreachableError, UsageError } from './usageError.js';

/** The broker's errors as the command line's: a setting that cannot work exits 2, the environment in the way 1. */
export async function translateBrokerErrors<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof BrokerSettingError) throw new UsageError(error.message, { cause: error });
    if (error instanceof BrokerError) throw new UnreachableError(error.message, { cause: error });
    throw error;
  }
}
