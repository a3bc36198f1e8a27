import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CLOCK_OFF_WARNING_MS, clockWarning, driverWarnings } from '../../src/api/lateStartWarning.js';
import { DriverRegistry } from '../../src/orchestrator/driverRegistry.js';

/** A heartbeat the driver sent at `sentMs` on its clock. */
function beat(sentMs: number) {
  return { node_id: 'd1', heartbeat: 'YES' as const, timestamp: new Date(sentMs).toISOString() };
}

describe("a driver's clock offset, from its heartbeats", () => {
  it('is the smallest receive − sent of its recent heartbeats: the offset, plus the quickest delivery', () => {
    const registry = new DriverRegistry();
    const behindMs = 700;
    const delays = [30, 4, 90, 12];
    delays.forEach((delay, i) => registry.onHeartbeat(beat(1_000_000 + i * 1_000 - behindMs), 1_000_000 + i * 1_000 + delay));
    assert.equal(registry.get('d1')?.clock_offset_ms, behindMs + 4);
  });

  it('forgets old heartbeats: a clock set right shows within 20 beats', () => {
    const registry = new DriverRegistry();
    for (let i = 0; i < 5; i++) registry.onHeartbeat(beat(i * 1_000 + 5_000), i * 1_000 + 2);
    assert.equal(registry.get('d1')?.clock_offset_ms, -5_000 + 2);
    for (let i = 5; i < 25; i++) registry.onHeartbeat(beat(i * 1_000), i * 1_000 + 3);
    assert.equal(registry.get('d1')?.clock_offset_ms, 3);
  });

  it(`is named in a warning past ${CLOCK_OFF_WARNING_MS} ms either way`, () => {
    assert.equal(clockWarning({ node_id: 'd1', clock_offset_ms: CLOCK_OFF_WARNING_MS }), null);
    assert.equal(clockWarning({ node_id: 'd1', clock_offset_ms: null }), null);
    assert.match(clockWarning({ node_id: 'd1', clock_offset_ms: 704 })!, /^driver d1's clock is 704 ms behind the orchestrator's/);
    assert.match(clockWarning({ node_id: 'd2', clock_offset_ms: -4_998 })!, /^driver d2's clock is 4998 ms ahead of the orchestrator's/);
  });

  it('is one of the warnings the summary, the HTML report and the dashboard show, after the driver’s late starts', () => {
    const drivers = [
      { node_id: 'd1', sent: 100, late_starts: 0, clock_offset_ms: 12 },
      { node_id: 'd2', sent: 100, late_starts: 5, clock_offset_ms: -900 },
      { node_id: 'd3', sent: 0, late_starts: 0, clock_offset_ms: 400 },
    ];
    assert.deepEqual(
      driverWarnings(drivers).map((w) => [w.node_id, w.kind]),
      [
        ['d2', 'late'],
        ['d2', 'clock'],
        ['d3', 'clock'],
      ],
    );
    assert.equal(driverWarnings(drivers)[1]!.text, clockWarning(drivers[1]!));
  });
});
