import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { HostDrivers } from '../../../src/driver/hostDrivers.js';

describe('--workers auto: the drivers on this host share its cores', () => {
  const dir = () => mkdtempSync(join(tmpdir(), 'stampede-host-'));

  it('counts itself and the other running drivers, and shares the cores among them (at least one thread each)', () => {
    const where = dir();
    const self = new HostDrivers(where);
    self.join();
    assert.equal(self.count(), 1);
    assert.equal(self.workersEach(8), 8);
    // Another running process: the test runner's parent is alive for as long as this test runs.
    writeFileSync(join(where, String(process.ppid)), '');
    assert.equal(self.count(), 2);
    assert.equal(self.workersEach(8), 4);
    assert.equal(self.workersEach(2), 1);
    assert.equal(self.workersEach(1), 1);
    self.leave();
    assert.equal(self.count(), 1);
  });

  it('forgets a driver that died without leaving (its pid runs no more), and files that are no pid', () => {
    const where = dir();
    const self = new HostDrivers(where);
    self.join();
    const gone = join(where, '2147483646');
    writeFileSync(gone, '');
    writeFileSync(join(where, 'notes.txt'), '');
    assert.equal(self.count(), 1);
    assert.equal(existsSync(gone), false, 'the dead driver’s file is removed');
  });
});
