#!/usr/bin/env node
// The `polar-kit` command. It runs the compiled bundle in dist/server/ (`node bin/server-bundle.js`, run by
// `npm start` and `npm run build`) while that is newer than its sources; otherwise it compiles the TypeScript
// sources on the fly with tsx, so a fresh clone or an edited tree runs with no build step.
import { pathToFileURL } from 'node:url';
import { BUNDLE, bundleIsFresh } from './server-bundle.js';

const { main } = bundleIsFresh()
  ? await import(pathToFileURL(BUNDLE).href)
  : await (async () => {
      const { register } = await import('tsx/esm/api');
      register();
      return import('../cli/main.ts');
    })();
process.exitCode = await main(process.argv.slice(2));
