// Jest globalSetup of the `contract` project: the IAM contract check evaluates the AWS requests
// the functions made during an integration run, so that run must be over before this one starts.
// Without its record (or in the same Jest run as the integration tests), say so once and stop.
import { readRequestLog } from '../support/request-log.ts';

/** The projects this Jest run selected (--selectProjects a b, or --selectProjects=a), or all. */
function selectedProjects(argv) {
  const out = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i].startsWith('--selectProjects=')) out.push(...argv[i].slice('--selectProjects='.length).split(','));
    else if (argv[i] === '--selectProjects') {
      while (argv[i + 1] !== undefined && !argv[i + 1].startsWith('-')) out.push(argv[++i]);
    }
  }
  return out.length ? out : undefined;
}

export default function globalSetup() {
  const selected = selectedProjects(process.argv);
  if (!selected || selected.includes('integration')) {
    throw new Error('the contract project reads the record of a finished integration run, so it cannot run in the same Jest run as the integration project. '
      + 'Run npm test (unit and integration, then contract), or: npm run test:integration && npm run test:contract');
  }
  readRequestLog();
}
