// Reads a deployment input file and validates it with the function the prepare step uses,
// so a file the CLI accepts is one the state machine accepts, and a bad one starts nothing.
import { readFileSync } from 'node:fs';
import { parseDeploymentInput, type AnyDeploymentInput } from '../functions/commons/input.ts';
import type { StrategyType } from '../functions/commons/strategy.ts';
import { UsageError } from './errors.ts';

export function readDeploymentInput(path: string, machine?: StrategyType): AnyDeploymentInput {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : code === 'EACCES' ? 'permission denied' : (error as Error).message;
    throw new UsageError(`cannot read the input file ${path}: ${why}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (error) {
    throw new UsageError(`${path} is not valid JSON: ${(error as Error).message}`);
  }
  try {
    // The prepare step's own validator: either backend's input, every bad field named.
    return parseDeploymentInput(value, machine) as AnyDeploymentInput;
  } catch (error) {
    const problems = (error as { problems?: unknown }).problems;
    if ((error as Error).name !== 'InvalidInput' || !Array.isArray(problems)) throw error;
    const what = machine ? `a valid ${machine} deployment input` : 'a valid deployment input';
    throw new UsageError(`${path} is not ${what}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}
