export * from './topics.js';
export * from './ids.js';
export * from './messages.js';
export * from './loadModels.js';
export * from './requests.js';
export * from './codec.js';
export * from './signature.js';
export * from './fieldPath.js';
