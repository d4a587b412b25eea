// Jest globalSetup of the `contract` project: the IAM contract check evaluates the AWS requests
// the functions made during an integration run, so that run must be over before this one starts.
// Without its record (or in the same Jest run as the integration tests), say so once and stop.
import { readRequestLog } from '../support/request-log.ts';

export default function globalSetup(globalConfig) {
  const selected = globalConfig.selectProjects;
  if (!selected || selected.includes('integration')) {
    throw new Error('the contract project reads the record of a finished integration run, so it cannot run in the same Jest run as the integration project. '
      + 'Run npm test (unit and integration, then contract), or: npm run test:integration && npm run test:contract');
  }
  readRequestLog();
}
