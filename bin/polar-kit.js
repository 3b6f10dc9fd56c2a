#!/usr/bin/env node
// The `polar-kit` command. The sources are TypeScript; tsx compiles them on the fly, so a fresh clone runs
// with no build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
