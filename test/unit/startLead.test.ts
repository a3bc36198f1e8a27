import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { START_LEAD, startLeadMs } from '../../src/orchestrator/startLead.js';

describe('the shared start: how far ahead of the trigger', () => {
  it('is none for one driver: nobody to start with', () => {
    assert.equal(startLeadMs(5, [undefined]), undefined);
    assert.equal(startLeadMs(5, []), undefined);
  });

  it('covers twice the delivery and twice the slowest priming seen, a driver not heard yet as unknownPrimingMs', () => {
    assert.equal(startLeadMs(10, [40, 120, 80]), 2 * 10 + 2 * 120 + 50);
    assert.equal(startLeadMs(10, [40, undefined]), 2 * 10 + 2 * START_LEAD.unknownPrimingMs + 50);
  });

  it(`stays within ${START_LEAD.minMs} and ${START_LEAD.maxMs} ms`, () => {
    assert.equal(startLeadMs(0, [1, 2]), START_LEAD.minMs);
    assert.equal(startLeadMs(5_000, [60_000, 1]), START_LEAD.maxMs);
  });
});
