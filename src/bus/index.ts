export * from './kafkaBus.js';
