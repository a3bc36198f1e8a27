import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigAcks } from '../../../src/orchestrator/configAcks.js';

describe('ConfigAcks: the trigger waits for every driver to acknowledge the config', () => {
  it('resolves at once, with nobody missing, when every driver has already acknowledged', async () => {
    const acks = new ConfigAcks();
    acks.acknowledge('t1', 'a');
    acks.acknowledge('t1', 'b');
    const started = performance.now();
    assert.deepEqual(await acks.waitFor('t1', ['a', 'b'], 5_000), []);
    assert.ok(performance.now() - started < 100);
  });

  it('resolves when the last acknowledgement arrives, not before and not at the bound', async () => {
    const acks = new ConfigAcks();
    acks.acknowledge('t1', 'a');
    let resolved = false;
    const waiting = acks.waitFor('t1', ['a', 'b'], 5_000).then((missing) => ((resolved = true), missing));
    acks.acknowledge('t2', 'b');
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(resolved, false, 'another test’s acknowledgement does not count');
    const acknowledgedAt = performance.now();
    acks.acknowledge('t1', 'b');
    assert.deepEqual(await waiting, []);
    assert.ok(performance.now() - acknowledgedAt < 100);
  });

  it('gives up after the bound, naming the drivers that never acknowledged', async () => {
    const acks = new ConfigAcks();
    acks.acknowledge('t1', 'b');
    const started = performance.now();
    assert.deepEqual(await acks.waitFor('t1', ['a', 'b', 'c'], 50), ['a', 'c']);
    assert.ok(performance.now() - started >= 45);
  });

  it('waits for nobody when no driver of the test speaks the extension, and forgets a test', async () => {
    const acks = new ConfigAcks();
    assert.deepEqual(await acks.waitFor('t1', [], 5_000), []);
    acks.acknowledge('t1', 'a');
    acks.forget('t1');
    assert.deepEqual(acks.missing('t1', ['a']), ['a']);
  });
});
