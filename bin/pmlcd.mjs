#!/usr/bin/env node
// Runs the TypeScript CLI from a checkout (tsx compiles it on the fly).
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../host/src/cli.ts');
process.exitCode = await main(process.argv.slice(2));
