/**
 * Where the ingest worker's module is. From the sources this is `ingest-worker.ts` (run through tsx); the
 * compiled kit (`bin/server-bundle.js`) replaces this module with one that points at its bundled worker.
 */
export const INGEST_WORKER_URL: URL = new URL('./ingest-worker.ts', import.meta.url);
