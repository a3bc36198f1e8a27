export * from './kafkaBus.js';
export * from './backoff.js';
