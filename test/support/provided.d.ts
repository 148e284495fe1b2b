// Values that test/support/global-setup.ts provides to every integration test (read them through
// test/support/env.ts, or with `inject`).
export {};

declare module 'vitest' {
  export interface ProvidedContext {
    /** A migrated throwaway database for this run, dropped when the run ends. */
    databaseUrl: string;
    /** `host:port` of the Temporal dev server started for this run. */
    temporalAddress: string;
  }
}
