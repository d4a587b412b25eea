// Imported first by a test file that reads the handlers' log lines: their logger (created when the
// first handler module loads) logs at INFO in that file. Every other test file runs with logging off.
process.env.POWERTOOLS_LOG_LEVEL = 'INFO';
export {};
