// Configuration from the environment, checked when the module loads: a function that is
// missing a variable fails at its first cold start with the variable's name, not mid-deployment.
export function requireEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`Environment variable ${name} is not set (template.yaml sets it for every function that needs it)`);
  return value;
}

/** A number of seconds from the environment, in ms; fails at load time when it is not one. */
export function seconds(name: string, value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new Error(`Environment variable ${name} must be a number of seconds (got ${JSON.stringify(value)})`);
  return n * 1000;
}
