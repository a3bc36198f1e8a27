import assert from 'node:assert/strict';
import { describe, it, mock } from 'node:test';
import { HeldForConfig } from '../../../src/driver/heldForConfig.js';

describe('commands held for their config (injected timers)', () => {
  it('holds one command per test until taken or expired, and drops the oldest past its bound', () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    try {
      const expired: string[] = [];
      const held = new HeldForConfig<string>(2_000, 2);
      assert.equal(held.hold('a', 'first', () => expired.push('a')), true);
      assert.equal(held.hold('a', 'second'), false, 'a second command for the same test replaced the first');
      held.hold('b', 'b');
      held.hold('c', 'c');
      assert.equal(held.take('a'), undefined, 'the oldest stayed past the bound');
      assert.equal(held.take('b'), 'b');
      assert.equal(held.take('b'), undefined, 'taken twice');
      mock.timers.tick(2_000);
      assert.equal(held.take('c'), undefined, 'kept past its wait');
      assert.deepEqual(expired, [] as string[], 'a command dropped or taken was reported expired');
      held.hold('d', 'd', () => expired.push('d'));
      mock.timers.tick(1_999);
      assert.deepEqual(expired, [] as string[]);
      mock.timers.tick(1);
      assert.deepEqual(expired, ['d']);
    } finally {
      mock.timers.reset();
    }
  });
});
