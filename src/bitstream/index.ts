export * from './errors.js';
export * from './range-coder.js';
export * from './cdf.js';
export * from './deterministic-math.js';
export * from './philox.js';
export * from './crc32.js';
export * from './container.js';
export * from './symbol-recorder.js';
