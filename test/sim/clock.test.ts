/**
 * The event queue's order: by virtual time, and events due at the same time in the order they
 * were scheduled (FIFO), including events scheduled while others run.
 */
import { describe, expect, it } from 'vitest';
import { EventQueue } from '../../src/sim/clock.js';
import { Prng } from '../../src/sim/prng.js';

describe('EventQueue', () => {
  it('runs events by time, ties in scheduling order, and sets the clock to each event', () => {
    const q = new EventQueue();
    const ran: string[] = [];
    const at = (t: number, name: string): number => q.scheduleAt(t, (now) => ran.push(`${name}@${now}/${q.now}`));
    expect([at(30, 'a'), at(10, 'b'), at(30, 'c'), at(20, 'd'), at(10, 'e'), at(30, 'f')]).toEqual([0, 1, 2, 3, 4, 5]);
    expect(q.size).toBe(6);
    expect(q.peekTime()).toBe(10);
    while (q.runNext());
    expect(ran).toEqual(['b@10/10', 'e@10/10', 'd@20/20', 'a@30/30', 'c@30/30', 'f@30/30']);
    expect(q.runNext()).toBe(false);
    expect(q.peekTime()).toBe(Infinity);
  });

  it('an event scheduled for now from a callback runs after those already due now', () => {
    const q = new EventQueue();
    const ran: string[] = [];
    q.scheduleAt(5, () => {
      ran.push('first');
      q.scheduleAfter(0, () => ran.push('scheduled by first'));
      q.scheduleAt(5, () => ran.push('also by first'));
    });
    q.scheduleAt(5, () => ran.push('second'));
    q.scheduleAt(6, () => ran.push('later'));
    expect(q.runUntil(5)).toBe(4);
    expect(ran).toEqual(['first', 'second', 'scheduled by first', 'also by first']);
    expect(q.now).toBe(5);
  });

  it('runUntil() runs what is due at or before the limit and then moves the clock to it', () => {
    const q = new EventQueue();
    const ran: number[] = [];
    for (const t of [100, 200, 300]) q.scheduleAt(t, (now) => ran.push(now));
    expect(q.runUntil(200)).toBe(2);
    expect(ran).toEqual([100, 200]);
    expect(q.now).toBe(200);
    expect(q.runUntil(250)).toBe(0);
    expect(q.now).toBe(250);
    q.scheduleAfter(10, (now) => ran.push(now));
    expect(q.runUntil(1000)).toBe(2);
    expect(ran).toEqual([100, 200, 260, 300]);
    expect(q.now).toBe(1000);
    // A limit in the past leaves the clock where it is.
    expect(q.runUntil(10)).toBe(0);
    expect(q.now).toBe(1000);
  });

  it('refuses to schedule in the past or at NaN', () => {
    const q = new EventQueue();
    q.runUntil(50);
    expect(() => q.scheduleAt(49, () => {})).toThrow(RangeError);
    expect(() => q.scheduleAt(NaN, () => {})).toThrow(RangeError);
    expect(() => q.scheduleAfter(-1, () => {})).toThrow(RangeError);
    expect(q.size).toBe(0);
  });

  it('matches a stable sort by time for many events with many ties', () => {
    const prng = new Prng(3);
    const q = new EventQueue();
    const events = Array.from({ length: 2000 }, (_, id) => ({ id, t: prng.nextInt(50) * 1000 }));
    const ran: number[] = [];
    // Scheduled in two batches, the second after part of the first has run.
    for (const e of events.slice(0, 1000)) q.scheduleAt(e.t, () => ran.push(e.id));
    q.runUntil(20_000);
    const late = events.slice(1000).filter((e) => e.t >= 20_000);
    for (const e of late) q.scheduleAt(e.t, () => ran.push(e.id));
    q.runUntil(Infinity);
    const expected = [...events.slice(0, 1000), ...late].sort((a, b) => a.t - b.t).map((e) => e.id); // Array.sort is stable
    expect(ran).toEqual(expected);
  });
});
