/** A start setting that cannot work (a port out of range, a data directory formatted otherwise): the caller's to fix. */
export class BrokerSettingError extends Error {
  override readonly name = 'BrokerSettingError';
}

/** The environment is in the way (Java missing, a port taken, a broker not coming up). */
export class BrokerError extends Error {
  override readonly name = 'BrokerError';
}
