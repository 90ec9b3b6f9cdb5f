#!/usr/bin/env node
// Runs the TypeScript simulator CLI from a checkout, through tsx's loader.
import { register } from 'tsx/esm/api';

register();
await import('../simulator/src/cli.ts');
