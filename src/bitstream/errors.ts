/** Typed errors for everything that parses or decodes untrusted bytes. */

export type DdpmErrorCode =
  | 'BAD_MAGIC'
  | 'UNSUPPORTED_VERSION'
  | 'TRUNCATED'
  | 'CORRUPT'
  | 'LIMIT_EXCEEDED'
  | 'MODEL_MISMATCH'
  | 'DESYNC'
  | 'BAD_INPUT'
  | 'BAD_ARGUMENT'
  | 'INTERNAL';

export class DdpmError extends Error {
  readonly code: DdpmErrorCode;
  constructor(code: DdpmErrorCode, message: string) {
    super(message);
    this.name = 'DdpmError';
    this.code = code;
  }
}
