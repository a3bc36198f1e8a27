import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CommandGuard } from '../../src/driver/commandGuard.js';
import { canonicalJson, decodeMessage, signingInput, signMessage, verifyMessage, type WireObject } from '../../src/protocol/index.js';

/** The vectors of docs/protocol.md ("Signed commands"), checked there with `openssl dgst -sha256 -hmac`. */
const SECRET = 'correct horse battery staple';
const SIGNED_AT_MS = Date.parse('2026-12-01T12:00:00.000Z');
const TRIGGER = { test_id: 'test-mh2x4k0c0-0123456789ab', trigger: 'YES' };
const TRIGGER_SIGNATURE = '5bfaea76faa404eb57a86b2f142210232227a7273d397eee2b82d7f7672b19ec';
const CONFIG = {
  test_id: 'test-mh2x4k0c0-0123456789ab',
  test_type: 'TSUNAMI',
  test_message_delay: '25',
  message_count_per_driver: '40',
  target_url: 'http://127.0.0.1:8080/ping',
  driver_ids: ['driver-a', 'driver-b'],
  throughput_per_driver: 12.5,
  created_at: '2026-12-01T11:59:59.500Z',
};
const CONFIG_SIGNATURE = 'f4a2c7c1d4f4f0d6e5a3b775efae258f735f50150a6fb41cb79f98b6d34533df';

const roundTrip = (message: WireObject): WireObject => JSON.parse(JSON.stringify(message)) as WireObject;

describe('signed commands', () => {
  it('signs the documented vectors to the documented signatures', () => {
    const trigger = signMessage('trigger', TRIGGER, SECRET, SIGNED_AT_MS);
    assert.deepEqual(trigger, { ...TRIGGER, signed_at: '2026-12-01T12:00:00.000Z', signature: TRIGGER_SIGNATURE });
    assert.equal(signingInput('trigger', trigger), 'stampede-signature-v1\ntrigger\n{"signed_at":"2026-12-01T12:00:00.000Z","test_id":"test-mh2x4k0c0-0123456789ab","trigger":"YES"}');
    assert.equal(signMessage('test_config', CONFIG, SECRET, SIGNED_AT_MS).signature, CONFIG_SIGNATURE);
  });

  it('writes canonical JSON: keys sorted at every depth, no spaces, JSON.stringify strings and numbers', () => {
    assert.equal(canonicalJson({ b: [{ z: 1, a: 'é"\n' }], a: null, B: 1e21, c: 0.1 }), '{"B":1e+21,"a":null,"b":[{"a":"é\\"\\n","z":1}],"c":0.1}');
  });

  it('verifies its own signature after the wire round trip, within the window either way', () => {
    const signed = roundTrip(signMessage('test_config', CONFIG, SECRET, SIGNED_AT_MS));
    for (const offsetMs of [0, 60_000, -60_000]) assert.equal(verifyMessage('test_config', signed, [SECRET], SIGNED_AT_MS + offsetMs).ok, true, `offset ${offsetMs}`);
  });

  it('survives decoding: unknown fields are covered too, and a decoder keeps the raw object', () => {
    const signed = signMessage('trigger', { ...TRIGGER, trigger: 'yes', from_the_future: { x: 1 } }, SECRET, SIGNED_AT_MS);
    const decoded = decodeMessage('trigger', JSON.stringify(signed));
    assert.ok(decoded.ok);
    assert.equal(decoded.value.trigger, 'YES');
    assert.equal(verifyMessage('trigger', decoded.raw, [SECRET], SIGNED_AT_MS).ok, true);
  });

  const refusals: [string, () => WireObject, string, number?][] = [
    ['a message without a signature', () => ({ ...TRIGGER }), 'unsigned'],
    ['a signature that is not hex', () => ({ ...signMessage('trigger', TRIGGER, SECRET, SIGNED_AT_MS), signature: 'x'.repeat(64) }), 'malformed'],
    ['a signature without signed_at', () => ({ ...TRIGGER, signature: TRIGGER_SIGNATURE }), 'malformed'],
    ['a signature made with another secret', () => signMessage('trigger', TRIGGER, 'another secret', SIGNED_AT_MS), 'bad_signature'],
    ['a changed field', () => ({ ...signMessage('test_config', CONFIG, SECRET, SIGNED_AT_MS), target_url: 'http://127.0.0.1:9/' }), 'bad_signature'],
    ['an added field', () => ({ ...signMessage('test_config', CONFIG, SECRET, SIGNED_AT_MS), warmup_count_per_driver: 5 }), 'bad_signature'],
    ['a changed signed_at', () => ({ ...signMessage('trigger', TRIGGER, SECRET, SIGNED_AT_MS), signed_at: '2026-12-01T12:00:30.000Z' }), 'bad_signature'],
    ['a signature 60.001 s old', () => signMessage('trigger', TRIGGER, SECRET, SIGNED_AT_MS), 'stale', 60_001],
    ['a signature 60.001 s in the future', () => signMessage('trigger', TRIGGER, SECRET, SIGNED_AT_MS), 'future', -60_001],
  ];
  for (const [what, message, reason, offsetMs = 0] of refusals) {
    it(`refuses ${what} (${reason})`, () => {
      const verdict = verifyMessage('trigger', roundTrip(message()), [SECRET], SIGNED_AT_MS + offsetMs);
      assert.equal(verdict.ok ? 'accepted' : verdict.reason, reason);
    });
  }

  it('binds the signature to its topic: a signed trigger is no control message', () => {
    const signed = signMessage('trigger', TRIGGER, SECRET, SIGNED_AT_MS);
    const verdict = verifyMessage('control', signed, [SECRET], SIGNED_AT_MS);
    assert.equal(verdict.ok ? 'accepted' : verdict.reason, 'bad_signature');
  });

  it('accepts any of several secrets during a rotation', () => {
    const byOld = signMessage('trigger', TRIGGER, 'old secret', SIGNED_AT_MS);
    const byNew = signMessage('trigger', TRIGGER, 'new secret', SIGNED_AT_MS);
    for (const signed of [byOld, byNew]) assert.equal(verifyMessage('trigger', signed, ['new secret', 'old secret'], SIGNED_AT_MS).ok, true);
    assert.equal(verifyMessage('trigger', byOld, ['new secret'], SIGNED_AT_MS).ok, false);
  });
});

describe('command guard (driver side)', () => {
  it('refuses an exact replay within the window, and forgets signatures once their window closed', () => {
    let now = SIGNED_AT_MS;
    const guard = new CommandGuard([SECRET], () => now);
    const signed = roundTrip(signMessage('trigger', TRIGGER, SECRET, SIGNED_AT_MS));
    assert.deepEqual(guard.check('trigger', signed), { ok: true });
    now += 30_000;
    const replay = guard.check('trigger', signed);
    assert.equal(replay.ok ? 'accepted' : replay.reason, 'replayed');
    now += 31_000;
    const late = guard.check('trigger', signed);
    assert.equal(late.ok ? 'accepted' : late.reason, 'stale');
  });

  it('accepts two distinct signed messages and refuses an unsigned one', () => {
    const guard = new CommandGuard([SECRET], () => SIGNED_AT_MS);
    assert.equal(guard.check('trigger', signMessage('trigger', TRIGGER, SECRET, SIGNED_AT_MS)).ok, true);
    assert.equal(guard.check('trigger', signMessage('trigger', TRIGGER, SECRET, SIGNED_AT_MS - 1)).ok, true);
    const unsigned = guard.check('trigger', TRIGGER);
    assert.equal(unsigned.ok ? 'accepted' : unsigned.reason, 'unsigned');
  });
});
