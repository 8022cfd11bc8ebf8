/** `anon`: processes churning anonymous memory, with lifetimes, OOM kills and restarts, THP and mlock. */
import { describe, expect, it } from 'vitest';
import { NodeStat, VmEvent, ZoneStat } from '../../src/mm/vmstat.js';
import { HPAGE_PMD_NR } from '../../src/mm/huge_memory.js';
import { SEC, check, ev, machine, nodeStat, runWorkloads, zoneStat } from './helpers.js';

describe('anon workload', () => {
  const churn = { kind: 'anon', name: 'svc', processes: 3, rss: { dist: 'uniform', min: '8MiB', max: '24MiB' }, chunk: '256KiB', rate: 200, lifetime: '1s', unmap_fraction: 0.3 };

  it('grows, churns and recycles processes; its counters agree with vmstat', () => {
    const r = runWorkloads(machine('128MiB', '  thp: false\n'), [churn], 4 * SEC);
    const c = r.counters;
    check(r.k);
    expect(r.late).toEqual([]);
    // Only this workload faults: its fault count is pgfault.
    expect(c['svc.faults']).toBe(ev(r, VmEvent.PGFAULT));
    expect(c['svc.faults']).toBeGreaterThan(0);
    // Live processes hold exactly the anonymous pages of the machine.
    expect(c['svc.rss_pages']).toBe(nodeStat(r.k, NodeStat.NR_ANON_PAGES));
    expect(c['svc.processes']).toBe(3);
    // Lifetimes of 0.5..1.5 s over 4 s: processes exited and were replaced, none killed.
    expect(c['svc.exits']).toBeGreaterThan(3);
    expect(c['svc.spawns']).toBe(3 + c['svc.exits']! + (c['svc.oom_killed'] ?? 0));
    expect(c['svc.oom_killed']).toBeUndefined();
    expect(c['svc.munmaps']).toBeGreaterThan(0);
    // Every mapped chunk is either still mapped or was unmapped or went with its process.
    expect(c['svc.mmaps']).toBeGreaterThanOrEqual(c['svc.munmaps']! + c['svc.rss_pages']! / 64);
  });

  it('growth_rate: a process maps its RSS fast, then churns at rate', () => {
    // 16 MiB of 256 KiB chunks = 64 mmaps at 100/s (0.64 s), then 1 operation a second.
    const grow = { kind: 'anon', name: 'app', processes: 1, rss: '16MiB', chunk: '256KiB', growth_rate: 100, rate: 1, unmap_fraction: 1 };
    const early = runWorkloads(machine('128MiB', '  thp: false\n'), [grow], SEC);
    expect(early.counters['app.mmaps']).toBe(64);
    expect(early.counters['app.rss_pages']).toBe(4096);
    const later = runWorkloads(machine('128MiB', '  thp: false\n'), [grow], 5 * SEC);
    // Full at 0.63 s; then a munmap a second later (unmap_fraction 1), remapped 10 ms after it
    // (growing again): munmaps at about 1.63, 2.64, 3.65 and 4.66 s.
    expect(later.counters['app.munmaps']).toBe(4);
    expect(later.counters['app.mmaps']! - later.counters['app.munmaps']!).toBe(64);
    // Without growth_rate the same process would still be growing after a second.
    const slow = runWorkloads(machine('128MiB', '  thp: false\n'), [{ ...grow, growth_rate: undefined }], SEC);
    expect(slow.counters['app.mmaps']).toBe(1);
  });

  it('is deterministic: same seed, same counters and vmstat; another seed differs', () => {
    const a = runWorkloads(machine('128MiB', '  thp: false\n'), [churn], 2 * SEC, { seed: 3 });
    const b = runWorkloads(machine('128MiB', '  thp: false\n'), [churn], 2 * SEC, { seed: 3 });
    const c = runWorkloads(machine('128MiB', '  thp: false\n'), [churn], 2 * SEC, { seed: 4 });
    expect(a.counters).toEqual(b.counters);
    expect(a.k.alloc.events.toRecord()).toEqual(b.k.alloc.events.toRecord());
    expect(c.counters).not.toEqual(a.counters);
  });

  it('restarts processes the OOM killer took, and counts them', () => {
    // Two 48 MiB processes on a 64 MiB machine without swap: the OOM killer must act.
    const r = runWorkloads(machine('64MiB', '  thp: false\n'), [
      { kind: 'anon', name: 'hog', processes: 2, rss: '48MiB', chunk: '1MiB', rate: 100, respawn_delay: '200ms' },
    ], 3 * SEC);
    const c = r.counters;
    check(r.k);
    expect(r.late).toEqual([]);
    const kills = ev(r, VmEvent.OOM_KILL);
    expect(kills).toBeGreaterThan(0);
    // A kill is noticed at the victim's next operation; the last one may come too late to see.
    expect(c['hog.oom_killed']).toBeGreaterThanOrEqual(kills - 1);
    expect(c['hog.oom_killed']).toBeLessThanOrEqual(kills);
    // Each noticed kill is followed by a restart 200 ms later (unless the run ends first).
    expect(c['hog.spawns']).toBeLessThanOrEqual(2 + c['hog.oom_killed']!);
    expect(c['hog.spawns']).toBeGreaterThanOrEqual(1 + c['hog.oom_killed']!);
    expect(c['hog.processes']).toBeGreaterThan(0);
    expect(r.k.oom.events.every((e) => e.victim?.comm === 'hog')).toBe(true);
  });

  it('maps transparent hugepages with thp: hugepage and 2 MiB chunks', () => {
    const r = runWorkloads(machine('256MiB'), [
      { kind: 'anon', name: 'db', processes: 1, rss: '64MiB', chunk: '2MiB', rate: 100, thp: 'hugepage', unmap_fraction: 0 },
    ], 1 * SEC);
    const c = r.counters;
    check(r.k);
    expect(c['db.thp_fault_alloc']).toBe(ev(r, VmEvent.THP_FAULT_ALLOC));
    expect(c['db.thp_fault_alloc']).toBeGreaterThan(0);
    expect(c['db.thp_mapped']).toBe(c['db.thp_fault_alloc']);
    expect(nodeStat(r.k, NodeStat.NR_ANON_TRANSPARENT_HUGEPAGES)).toBe(c['db.thp_mapped']! * HPAGE_PMD_NR);
    expect(c['db.rss_pages']).toBe(64 * 256);
    // With MADV_NOHUGEPAGE the same process gets none.
    const n = runWorkloads(machine('256MiB'), [
      { kind: 'anon', name: 'db', processes: 1, rss: '64MiB', chunk: '2MiB', rate: 100, thp: 'nohugepage', unmap_fraction: 0 },
    ], 1 * SEC);
    expect(n.counters['db.thp_fault_alloc']).toBe(0);
    expect(n.counters['db.rss_pages']).toBe(64 * 256);
  });

  it('mlock puts every page on the unevictable list; exiting at stop frees everything', () => {
    const r = runWorkloads(machine('128MiB', '  thp: false\n'), [
      { kind: 'anon', name: 'rt', processes: 2, rss: '8MiB', rate: 100, mlock: true, unmap_fraction: 0 },
    ], 1 * SEC);
    check(r.k);
    expect(r.counters['rt.rss_pages']).toBe(2 * 2048);
    expect(zoneStat(r.k, ZoneStat.NR_MLOCK)).toBe(r.counters['rt.rss_pages']);
    expect(nodeStat(r.k, NodeStat.NR_UNEVICTABLE)).toBe(r.counters['rt.rss_pages']);
    const s = runWorkloads(machine('128MiB', '  thp: false\n'), [
      { kind: 'anon', name: 'rt', processes: 2, rss: '8MiB', rate: 100, mlock: true, stop: '500ms' },
    ], 1 * SEC);
    check(s.k);
    expect(s.counters['rt.processes']).toBe(0);
    expect(nodeStat(s.k, NodeStat.NR_ANON_PAGES)).toBe(0);
    expect(zoneStat(s.k, ZoneStat.NR_MLOCK)).toBe(0);
    expect(s.counters['rt.mmaps']).toBeGreaterThan(0);
  });
});
