export * from './bitstream/index.js';
export { encode, decode, decodeProgressive, inspect, truncate, loadDenoiser, DEFAULT_MODEL_PATH, type FileInfo, type Budget, type CodecOptions } from './codec/api.js';
export { readImage, writeImage, type RawImage } from './codec/image-io.js';
export { ProgressiveDecoder } from './codec/decoder.js';
export { encodeImage, type EncodeOptions } from './codec/encoder.js';
export { Denoiser } from './codec/denoiser.js';
