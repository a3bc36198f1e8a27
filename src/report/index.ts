export * from './htmlReport.js';
export * from './machine.js';
export * from './chartSeries.js';
