// The labelled figures `npm run bench` prints, one table row each (besides one row per function
// in the bundle-size table). scripts/bench.ts prints them; test/integration/bench.test.ts checks
// that a quick run prints every one with a number.
export const benchFigures = {
  awscli: 'seed: 2 awscli processes',
  cold: 'set-weight cold (new process)',
  warm: 'set-weight warm',
  inExecution: 'set-weight warm, in an execution (+ lock check)',
  noop: 'set-weight warm, weights already set',
  transitions: 'state transitions per linear step',
  invocations: 'Lambda invocations per linear step',
  linearWall: '10-step linear execution, intervals 0',
  restore: 'failing verdict → route restored',
  fleetAlone: '1 deployment alone (baseline)',
  fleetTogether: '20 deployments started together',
} as const;
