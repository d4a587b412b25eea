#!/usr/bin/env node
// mesh-canary: the operator CLI (package.json "bin"; `npx mesh-canary --help`).
// This file only wires the process in: streams, Ctrl-C, the exit code. cli/program.ts does the rest.
import { run } from './program.ts';

const interrupt = new AbortController();
let graceful = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    // A watching command stops cleanly (cursor back, a last word); anything else, or a second Ctrl-C, exits now.
    if (graceful && !interrupt.signal.aborted) interrupt.abort();
    else process.exit(130);
  });
}
// `mesh-canary ... | head` closes the pipe early: that is not an error.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw e;
});

process.exitCode = await run(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  signal: interrupt.signal,
  graceful: () => {
    graceful = true;
  },
});
