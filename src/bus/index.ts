export * from './kafkaBus.js';
export * from './backoff.js';
export * from './kafkaConnection.js';
