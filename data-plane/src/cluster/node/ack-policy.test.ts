import { describe, expect, it } from 'vitest';
import { ackFailureMessage, requiredAcks, type SendOutcome, vnodeShortfall } from './ack-policy.ts';

const A: SendOutcome = { kind: 'acked' };
const H: SendOutcome = { kind: 'hinted', why: 'down' };
const F: SendOutcome = { kind: 'failed', why: 'no hint stored: disk full' };

describe('requiredAcks()', () => {
  it.each([
    ['one', 1, 1], ['one', 2, 1], ['one', 3, 1],
    ['quorum', 1, 1], ['quorum', 2, 2], ['quorum', 3, 2], ['quorum', 4, 3],
    ['all', 1, 1], ['all', 2, 2], ['all', 3, 3],
  ] as const)('%s over %i owners needs %i', (level, owners, need) => {
    expect(requiredAcks(level, owners)).toBe(need);
  });
});

describe('vnodeShortfall() counts owners, hints toward one/quorum but never alone', () => {
  const owners = ['n1', 'n2'];
  const check = (level: 'one' | 'quorum' | 'all', o1: SendOutcome, o2: SendOutcome) =>
    vnodeShortfall(level, { vnode: 7, owners, outcome: (n) => (n === 'n1' ? o1 : o2) });
  it.each([
    // level, n1, n2, acknowledged?
    ['one', A, A, true], ['one', A, F, true], ['one', H, H, false], ['one', F, F, false], ['one', A, H, true],
    ['quorum', A, A, true], ['quorum', A, H, true], ['quorum', H, A, true], ['quorum', A, F, false],
    ['quorum', H, H, false], ['quorum', H, F, false],
    ['all', A, A, true], ['all', A, H, false], ['all', A, F, false],
  ] as const)('%s with %o / %o → %s', (level, o1, o2, ok) => {
    expect(check(level, o1, o2) === null).toBe(ok);
  });

  it('names the vnode and the unreachable owners, saying whether a hint was stored', () => {
    expect(check('all', A, H)).toBe('vnode 7: 1 of 2 owners stored it; unreachable: n2 (down; hint stored)');
    expect(check('quorum', A, F)).toBe('vnode 7: 1 of 2 needed acknowledgements; unreachable: n2 (no hint stored: disk full)');
    expect(check('quorum', H, H)).toMatch(/^vnode 7: no owner stored it \(hints alone do not count\); unreachable: n1 .*, n2 /);
  });

  it('ackFailureMessage() shows three vnodes and counts the rest', () => {
    const m = ackFailureMessage('all', ['vnode 1: x', 'vnode 2: x', 'vnode 3: x', 'vnode 4: x', 'vnode 5: x']);
    expect(m).toMatch(/^write not acknowledged at consistency "all": vnode 1: x; vnode 2: x; vnode 3: x; and 2 more vnodes\./);
  });
});
