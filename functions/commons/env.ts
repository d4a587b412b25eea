// Configuration from the environment, checked when the module loads: a function that is
// missing a variable fails at its first cold start with the variable's name, not mid-deployment.
export function requireEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`Environment variable ${name} is not set (template.yaml sets it for every function that needs it)`);
  return value;
}
