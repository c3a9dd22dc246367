// The package's version, as `emma.version` (kept equal to package.json's by a test: the
// browser build cannot read package.json).
export const VERSION = '0.2.0';
