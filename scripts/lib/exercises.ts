/**
 * nbgrader's conventions for TypeScript notebooks, one module per job: regions.ts (markers, finding
 * exercises, stubs), student-release.ts (the student version, leak check, stub type check),
 * restore.ts (restoring and screening a submission). This module re-exports them.
 * Serves every lecture's exercises.
 */
export * from "./regions";
export * from "./student-release";
export * from "./restore";
