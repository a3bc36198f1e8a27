export * from './httpUrl.js';
export * from './testConfig.js';
export * from './createTest.js';
export * from './views.js';
export * from './routes.js';
export * from './openApi.js';
