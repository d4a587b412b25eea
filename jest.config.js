// Two projects so each can run alone: `npx jest --selectProjects unit` needs nothing but Node
// (and python3 with cfn-lint for the template tests); `integration` builds the bundles and
// starts the local AWS (moto) once for all its tests, and records every AWS request each
// function makes (.local-aws/requests.jsonl). The IAM contract check, which evaluates that
// record against template.yaml's policies, has its own config (jest.contract.config.js): it
// reads a finished integration run, so it runs after one, in another Jest run.
// `npm test` = typecheck, then this config (unit + integration), then the contract config.
/** What every project shares (jest.contract.config.js uses it too). */
export const common = {
  transform: { '\\.(ts|js|mjs)$': '<rootDir>/test/support/esbuild-transform.cjs' },
  transformIgnorePatterns: ['/node_modules/(?!@middy/)'],
  // @middy 7 is ESM-only (exports has no "require"); point Jest at its file, the transform makes it CJS.
  moduleNameMapper: { '^@middy/([a-z-]+)$': '<rootDir>/node_modules/@middy/$1/index.js' },
  moduleFileExtensions: ['ts', 'js', 'mjs', 'cjs', 'json'],
  testEnvironment: 'node',
  setupFiles: ['<rootDir>/test/support/lambda-env.ts'],
};
export default {
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.test.ts'] },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
      globalSetup: '<rootDir>/test/support/global-setup.mjs',
      globalTeardown: '<rootDir>/test/support/global-teardown.mjs',
    },
  ],
  // Global, not per project: real executions with waits and retries take seconds.
  testTimeout: 120000,
  // The default output, and a note in the request log's run marker of which integration test
  // files failed (the contract refuses such a run; Jest gives globalTeardown no results).
  reporters: ['default', '<rootDir>/test/support/request-log-reporter.mjs'],
};
