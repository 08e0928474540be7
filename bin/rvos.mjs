#!/usr/bin/env node
// The `rvos` command. Sources are TypeScript, run through tsx's loader so no build step is needed.
import { register } from 'tsx/esm/api';

register();
const { runCli } = await import('../src/cli/index.ts');
process.exitCode = await runCli(process.argv.slice(2));
