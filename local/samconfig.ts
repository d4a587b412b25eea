// This project's samconfig.toml, which names the stack on the local AWS as `sam deploy` names the
// real one. The reader lives in cli/project.ts, shared with the CLI.
import { join } from 'node:path';
import { packageRoot, readSamConfig as readFile, type SamConfig } from '../cli/project.ts';

export type { SamConfig };

export function readSamConfig(path = join(packageRoot, 'samconfig.toml'), environment = 'default'): SamConfig {
  return readFile(path, environment);
}
