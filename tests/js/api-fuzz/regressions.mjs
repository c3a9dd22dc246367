export const REGRESSIONS = [];
