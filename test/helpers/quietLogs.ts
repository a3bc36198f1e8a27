/**
 * Loaded before every test file (scripts/test.sh: `node --import`): the logs of in-process nodes are
 * kept in memory and printed only when a test of the file failed, so a passing suite prints no log
 * line. Child processes are not affected: their stderr goes to the tests that start them.
 */
import { redirectLogs } from '../../src/log/logger.js';

/** Enough to see what led to a failure; older lines are dropped. */
const KEPT_LINES = 5_000;

const lines: string[] = [];
redirectLogs({
  write(line: string) {
    lines.push(line);
    if (lines.length > KEPT_LINES) lines.shift();
  },
});

process.on('exit', (code) => {
  if (code === 0 || lines.length === 0) return;
  process.stderr.write(`\n--- logs of this test file's in-process nodes (last ${lines.length} lines) ---\n${lines.join('')}`);
});
