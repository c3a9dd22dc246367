// The one error type of the public API. `code` is stable (shops switch on it); the message
// says what was wrong and where.
export class EmmaError extends Error {
  constructor(code, message, options = undefined) {
    super(message, options);
    this.name = 'EmmaError';
    this.code = code;
  }
}

// Wraps anything thrown by storage or the platform into an EmmaError with a code, keeping
// the original as `cause`.
export function asEmmaError(err, code, context) {
  if (err instanceof EmmaError) return err;
  const detail = err && err.message ? err.message : String(err);
  return new EmmaError(code, `${context}: ${detail}`, { cause: err });
}

// What every method of a closed instance rejects with (page, worker and engine alike).
export const closedError = () => new EmmaError('CLOSED', 'this Emma instance was closed; create a new one with createEmma()');
