export * from './bitstream/index.js';
