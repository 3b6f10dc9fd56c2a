#!/usr/bin/env node
// The `polar-kit` command. It runs the compiled bundle in dist/server/ (`node bin/server-bundle.js`, run by
// `npm start` and `npm run build`) while that is newer than its sources; otherwise it compiles the TypeScript
// sources on the fly with tsx, so a fresh clone or an edited tree runs with no build step.
import { pathToFileURL } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { BUNDLE, bundleIsFresh } from './server-bundle.js';

// V8 lets the old generation grow to as much as 4 times what survived its last full collection before it collects
// again; the kit keeps about 20 MB alive, so under webhook load most of its heap was garbage waiting. Growing by at
// most half keeps that heap near 1.5 times the live data (old space 21 MB instead of 28-32 MB after 10 s of load)
// at the same CPU per event. V8 reads this flag each time it sets the next limit, so setting it here, before the
// kit starts, applies to every `polar-kit` run.
setFlagsFromString('--heap-growing-percent=50');

const { main } = bundleIsFresh()
  ? await import(pathToFileURL(BUNDLE).href)
  : await (async () => {
      const { register } = await import('tsx/esm/api');
      register();
      return import('../cli/main.ts');
    })();
process.exitCode = await main(process.argv.slice(2));
