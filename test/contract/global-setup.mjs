// Jest globalSetup of the contract check (jest.contract.config.js): it evaluates the AWS
// requests the functions made during an integration run, so that run must be over, whole
// (no test path or name filter) and green. Otherwise say why once, before any test, and stop.
import { readRequestLog } from '../support/request-log.ts';

export default function globalSetup() {
  readRequestLog();
}
