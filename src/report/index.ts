export * from './htmlReport.js';
export * from './machine.js';
export * from './chartSeries.js';
export * from './comparison.js';
export * from './comparisonView.js';
