// The IAM contract check (test/contract/): evaluates the AWS requests the functions made in the
// last integration run (.local-aws/requests.jsonl) against template.yaml's policies. Its own
// Jest run, after a finished, unfiltered integration run: `npm run test:contract`
// (npm test runs it after unit and integration). Checks that need only the template live in
// the unit project (test/unit/iam-template.test.ts).
import { common } from './jest.config.js';

export default {
  ...common,
  displayName: 'contract',
  testMatch: ['<rootDir>/test/contract/**/*.test.ts'],
  // One clear error, before any test, when there is no record of a whole integration run.
  globalSetup: '<rootDir>/test/contract/global-setup.mjs',
  testTimeout: 120000,
};
