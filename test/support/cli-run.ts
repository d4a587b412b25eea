// Runs the CLI in this process, as `mesh-canary <args>` would run, and collects what it printed.
import { run } from '../../cli/program.ts';

export async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await run(args, {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    signal: new AbortController().signal,
    graceful: () => undefined,
  });
  return { code, stdout, stderr };
}
