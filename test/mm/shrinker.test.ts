/**
 * Shrinkers (mm/vmscan.c, 6.1.192): do_shrink_slab() (lines 787-880), shrink_slab()
 * (986-1030), and the reclaim paths that call them: direct reclaim (try_to_free_pages ->
 * do_try_to_free_pages -> shrink_zones -> shrink_node -> shrink_node_memcgs -> shrink_slab,
 * priorities DEF_PRIORITY..0) and kswapd (balance_pgdat -> kswapd_shrink_node -> shrink_node,
 * priorities DEF_PRIORITY..1).
 *
 * do_shrink_slab() in numbers:
 *   delta      = seeks ? (freeable >> priority) * 4 / seeks : freeable / 2
 *   total_scan = min((nr_deferred >> priority) + delta, 2 * freeable)
 *   while (total_scan >= batch || total_scan >= freeable):
 *       nr_to_scan = nr_scanned = min(batch, total_scan); ret = scan_objects()
 *       if ret == SHRINK_STOP: break
 *       slabs_scanned += nr_scanned; total_scan -= nr_scanned; scanned += nr_scanned
 *   nr_deferred = min(max(nr_deferred + delta - scanned, 0), 2 * freeable)
 * count_objects() returning 0 or SHRINK_EMPTY skips all of it (nr_deferred untouched).
 */
import { describe, expect, it } from 'vitest';
import { loadMachineSpec } from '../../src/machine/spec.js';
import { ZoneType } from '../../src/mm/constants.js';
import { checkInvariants } from '../../src/mm/debug_vm.js';
import { GFP_HIGHUSER_MOVABLE, GFP_KERNEL, GFP_NOFS, __GFP_NORETRY } from '../../src/mm/gfp.js';
import { Kernel } from '../../src/mm/kernel.js';
import { kmemCacheAllocBulk, kmemCacheCreate, kmemCacheShrinker } from '../../src/mm/slab.js';
import { DEFAULT_SEEKS, DEF_PRIORITY, SHRINK_BATCH, SHRINK_EMPTY, SHRINK_STOP, type ShrinkControl, type Shrinker } from '../../src/mm/vmscan.js';
import { NodeStat, VmEvent } from '../../src/mm/vmstat.js';
import { WMARK_MIN, type Zone } from '../../src/mm/zone.js';

function machine(): Kernel {
  return new Kernel(
    loadMachineSpec('machine:\n  cpus: 1\n  pcp: false\n  thp: false\n  zones:\n    - { name: Normal, start_pfn: 0x100000, size: 64MiB }\n', 'm.yaml'),
  );
}

function normal(k: Kernel): Zone {
  return k.nodes[0]!.zones[ZoneType.NORMAL]!;
}

/** A shrinker with a fixed object count that records every call. */
class Probe implements Shrinker {
  readonly name = 'probe';
  counts = 0;
  readonly scans: { nrToScan: number; gfpMask: number; nid: number; isKswapd: boolean }[] = [];
  /** What count_objects() says. */
  freeable: number;
  /** scan_objects(): the return value for a call (default: all of nr_to_scan freed). */
  onScan: (sc: ShrinkControl) => number = (sc) => sc.nrToScan;
  batch?: number;
  seeks?: number;
  numaAware?: boolean;

  constructor(freeable: number, opts: { batch?: number; seeks?: number; numaAware?: boolean } = {}) {
    this.freeable = freeable;
    if (opts.batch !== undefined) this.batch = opts.batch;
    if (opts.seeks !== undefined) this.seeks = opts.seeks;
    if (opts.numaAware !== undefined) this.numaAware = opts.numaAware;
  }

  countObjects(): number {
    this.counts++;
    return this.freeable;
  }

  scanObjects(sc: ShrinkControl): number {
    this.scans.push({ nrToScan: sc.nrToScan, gfpMask: sc.gfpMask, nid: sc.nid, isKswapd: sc.isKswapd });
    return this.onScan(sc);
  }

  /** The nr_to_scan of the calls since the last take(). */
  take(): number[] {
    return this.scans.splice(0).map((s) => s.nrToScan);
  }
}

function slabsScanned(k: Kernel): number {
  return k.alloc.events.get(VmEvent.SLABS_SCANNED);
}

describe('do_shrink_slab()', () => {
  it('freeable 262144 at priority 12 with DEFAULT_SEEKS: delta 128, one batch of 128', () => {
    const k = machine();
    const p = new Probe(262144);
    k.vmscan.registerShrinker(p);
    expect(DEFAULT_SEEKS).toBe(2);
    expect(SHRINK_BATCH).toBe(128);
    expect(DEF_PRIORITY).toBe(12);
    // delta = (262144 >> 12) * 4 / 2 = 128; total_scan = 0 + 128.
    const freed = k.vmscan.shrinkSlab(GFP_KERNEL, 0, 12, false);
    expect(p.take()).toEqual([128]);
    expect(freed).toBe(128);
    expect(slabsScanned(k)).toBe(128);
    // Everything asked for was scanned: nothing deferred, the next call is the same.
    k.vmscan.shrinkSlab(GFP_KERNEL, 0, 12, false);
    expect(p.take()).toEqual([128]);
    expect(slabsScanned(k)).toBe(256);
  });

  it('below one batch nothing is scanned; at priority 0 total_scan is capped at 2 * freeable', () => {
    const k = machine();
    const p = new Probe(100000);
    k.vmscan.registerShrinker(p);
    // delta = (100000 >> 12) * 4 / 2 = 24 * 2 = 48 < 128 and < freeable: no call.
    k.vmscan.shrinkSlab(GFP_KERNEL, 0, 12, false);
    expect(p.take()).toEqual([]);
    expect(p.counts).toBe(1);
    expect(slabsScanned(k)).toBe(0);
    // nr_deferred = 48. Priority 0: total_scan = min(48 + 100000 * 4 / 2, 200000) = 200000:
    // 1562 batches of 128 (199936), then 64 < 128 and < freeable ends the loop.
    k.vmscan.shrinkSlab(GFP_KERNEL, 0, 0, false);
    const calls = p.take();
    expect(calls).toHaveLength(1562);
    expect(calls.every((n) => n === 128)).toBe(true);
    expect(slabsScanned(k)).toBe(199936);
  });

  it('seeks 0 trims freeable / 2 at any priority', () => {
    const k = machine();
    const p = new Probe(1000, { seeks: 0 });
    k.vmscan.registerShrinker(p);
    // delta = 1000 / 2 = 500: three batches (384), 116 left < 128 and < 1000.
    k.vmscan.shrinkSlab(GFP_KERNEL, 0, 12, false);
    expect(p.take()).toEqual([128, 128, 128]);
    expect(slabsScanned(k)).toBe(384);
  });

  it('a custom batch size; batch 0 means SHRINK_BATCH', () => {
    const k = machine();
    const a = new Probe(262144, { batch: 32 });
    const b = new Probe(262144, { batch: 0 });
    k.vmscan.registerShrinker(a);
    k.vmscan.registerShrinker(b);
    k.vmscan.shrinkSlab(GFP_KERNEL, 0, 12, false);
    expect(a.take()).toEqual([32, 32, 32, 32]); // delta 128 in batches of 32
    expect(b.take()).toEqual([128]);
  });

  it('scans everything in one go when total_scan >= freeable even below a batch (tight on memory)', () => {
    const k = machine();
    const p = new Probe(50);
    k.vmscan.registerShrinker(p);
    // delta = 50 * 4 / 2 = 100 = 2 * freeable; 100 < 128 but 100 >= 50: nr_to_scan = min(128, 100).
    k.vmscan.shrinkSlab(GFP_KERNEL, 0, 0, false);
    expect(p.take()).toEqual([100]);
    expect(slabsScanned(k)).toBe(100);
  });

  it('counts what the shrinker reports in nr_scanned, and defers the rest', () => {
    const k = machine();
    const p = new Probe(1000);
    p.onScan = (sc) => {
      sc.nrScanned = 30; // it could only look at 30 objects
      return 10;
    };
    k.vmscan.registerShrinker(p);
    // delta = 1000 * 4 / 2 = 2000 = total_scan; each call takes 30 off: 63 calls until 110 is
    // left (< 128, < 1000). nr_deferred = 0 + 2000 - 1890 = 110.
    const freed = k.vmscan.shrinkSlab(GFP_KERNEL, 0, 0, false);
    expect(p.take()).toEqual(new Array(63).fill(128));
    expect(freed).toBe(630);
    expect(slabsScanned(k)).toBe(1890);
    // Next call at priority 3: delta = (1000 >> 3) * 2 = 248, total = (110 >> 3) + 248 = 261:
    // calls until < 128: 261 -> 231 -> ... -> 111 (5 calls).
    k.vmscan.shrinkSlab(GFP_KERNEL, 0, 3, false);
    expect(p.take()).toEqual([128, 128, 128, 128, 128]);
  });

  it('SHRINK_STOP ends the loop and defers the work, capped at 2 * freeable', () => {
    const k = machine();
    const p = new Probe(1000, { batch: 100 });
    let stop = true;
    p.onScan = (sc) => (stop ? SHRINK_STOP : sc.nrToScan);
    k.vmscan.registerShrinker(p);
    // Priority 1: delta = (1000 >> 1) * 4 / 2 = 1000.
    // 1: total_scan = 0 + 1000; the first call stops: nr_deferred = 1000.
    k.vmscan.shrinkSlab(GFP_KERNEL, 0, 1, false);
    expect(p.take()).toEqual([100]);
    // 2: total_scan = 500 + 1000 = 1500; stops: nr_deferred = min(1000 + 1000, 2000) = 2000.
    k.vmscan.shrinkSlab(GFP_KERNEL, 0, 1, false);
    expect(p.take()).toEqual([100]);
    // 3: stops again: nr_deferred = min(2000 + 1000, 2000) = 2000 (the cap).
    k.vmscan.shrinkSlab(GFP_KERNEL, 0, 1, false);
    expect(p.take()).toEqual([100]);
    expect(slabsScanned(k)).toBe(0); // SHRINK_STOP calls are not counted
    stop = false;
    // 4: total_scan = min(1000 + 1000, 2000) = 2000: 20 calls; nr_deferred = 2000 + 1000 - 2000 = 1000.
    k.vmscan.shrinkSlab(GFP_KERNEL, 0, 1, false);
    expect(p.take()).toHaveLength(20);
    // 5: total_scan = 500 + 1000 = 1500: 15 calls; nr_deferred = 1000 + 1000 - 1500 = 500.
    k.vmscan.shrinkSlab(GFP_KERNEL, 0, 1, false);
    expect(p.take()).toHaveLength(15);
    // 6: total_scan = 250 + 1000 = 1250: 12 calls (50 left); nr_deferred = 500 + 1000 - 1200 = 300.
    k.vmscan.shrinkSlab(GFP_KERNEL, 0, 1, false);
    expect(p.take()).toHaveLength(12);
    // 7: total_scan = 150 + 1000 = 1150: 11 calls.
    k.vmscan.shrinkSlab(GFP_KERNEL, 0, 1, false);
    expect(p.take()).toHaveLength(11);
    expect(slabsScanned(k)).toBe(2000 + 1500 + 1200 + 1100);
  });

  it('count_objects() = 0 or SHRINK_EMPTY skips the shrinker and leaves nr_deferred alone', () => {
    const k = machine();
    const p = new Probe(1000, { batch: 100 });
    let stop = true;
    p.onScan = (sc) => (stop ? SHRINK_STOP : sc.nrToScan);
    k.vmscan.registerShrinker(p);
    k.vmscan.shrinkSlab(GFP_KERNEL, 0, 1, false); // nr_deferred = 1000 (as above)
    p.take();
    stop = false;
    for (const empty of [0, SHRINK_EMPTY]) {
      p.freeable = empty;
      expect(k.vmscan.shrinkSlab(GFP_KERNEL, 0, 1, false)).toBe(0); // shrink_slab(): SHRINK_EMPTY -> 0
      expect(p.take()).toEqual([]);
    }
    p.freeable = 1000;
    // Still nr_deferred = 1000: total_scan = 500 + 1000 = 1500.
    k.vmscan.shrinkSlab(GFP_KERNEL, 0, 1, false);
    expect(p.take()).toHaveLength(15);
  });

  it('passes gfp_mask, nid and the caller to every shrinker, in registration order', () => {
    const k = machine();
    const order: string[] = [];
    const mk = (name: string): Shrinker => ({
      name,
      countObjects: () => 262144,
      scanObjects: (sc) => {
        order.push(`${name}:${sc.gfpMask === GFP_NOFS}:${sc.nid}:${sc.isKswapd}`);
        return 0;
      },
    });
    k.vmscan.registerShrinker(mk('a'));
    k.vmscan.registerShrinker(mk('b'));
    k.vmscan.shrinkSlab(GFP_NOFS, 0, 12, true);
    expect(order).toEqual(['a:true:0:true', 'b:true:0:true']);
  });

  it('keeps deferred work per node for a NUMA-aware shrinker, on node 0 for the others; sc.nid is the node reclaimed', () => {
    const k = new Kernel(loadMachineSpec(
      'machine:\n  cpus: 2\n  pcp: false\n  thp: false\n  nodes:\n'
      + '    - zones:\n        - { name: Normal, start_pfn: 0x100000, size: 16MiB }\n'
      + '    - zones:\n        - { name: Normal, start_pfn: 0x101000, size: 16MiB }\n', 'm.yaml',
    ));
    const aware = new Probe(1000, { batch: 100, numaAware: true });
    const plain = new Probe(1000, { batch: 100 });
    let stop = true;
    for (const p of [aware, plain]) {
      p.onScan = (sc) => (stop ? SHRINK_STOP : sc.nrToScan);
      k.vmscan.registerShrinker(p);
    }
    // Node 1 at priority 1: delta = (1000 >> 1) * 4 / 2 = 1000; the first call stops, so 1000
    // is deferred: on node 1 for the aware one, on node 0 for the other. Both are told nid 1.
    k.vmscan.shrinkSlab(GFP_KERNEL, 1, 1, false);
    expect([...aware.scans, ...plain.scans].map((c) => c.nid)).toEqual([1, 1]);
    aware.take();
    plain.take();
    stop = false;
    // Node 0: nothing deferred there for the aware one (total_scan 1000: 10 calls); the other
    // finds its 1000 (500 + 1000 = 1500: 15 calls, leaving 1000 + 1000 - 1500 = 500).
    k.vmscan.shrinkSlab(GFP_KERNEL, 0, 1, false);
    expect(aware.take()).toHaveLength(10);
    expect(plain.take()).toHaveLength(15);
    // Node 1 again: the aware one's 1000 are still there (1500: 15 calls); the other's 500
    // are shared (250 + 1000 = 1250: 12 calls).
    k.vmscan.shrinkSlab(GFP_KERNEL, 1, 1, false);
    expect(aware.take()).toHaveLength(15);
    expect(plain.take()).toHaveLength(12);
  });
});

/** Hold memory with non-LRU movable pages (no reclaimable LRU, no fallback stealing). */
function exhaust(k: Kernel): number[] {
  const held: number[] = [];
  for (;;) {
    const pfn = k.alloc.allocPages(GFP_HIGHUSER_MOVABLE | __GFP_NORETRY, 0);
    if (pfn < 0) return held;
    held.push(pfn);
  }
}

describe('who calls the shrinkers', () => {
  it('direct reclaim: once per priority DEF_PRIORITY..0 when nothing is reclaimed, not as kswapd', () => {
    const k = machine();
    const p = new Probe(262144);
    p.onScan = () => 0; // scans, frees nothing
    k.vmscan.registerShrinker(p);
    const got = k.vmscan.tryToFreePages(GFP_KERNEL, 0, k.nodes[0]!.zonelist, ZoneType.NORMAL);
    expect(got).toBe(0);
    // do_try_to_free_pages(): shrink_zones() at priority 12, 11, ..., 0.
    expect(p.counts).toBe(13);
    expect(p.scans.every((s) => !s.isKswapd && s.gfpMask === GFP_KERNEL && s.nid === 0)).toBe(true);
    expect(k.alloc.events.get(VmEvent.ALLOCSTALL_NORMAL)).toBe(1);
  });

  it('an allocation that enters direct reclaim calls the shrinkers', () => {
    const k = machine();
    exhaust(k);
    const p = new Probe(262144);
    p.onScan = () => 0;
    k.vmscan.registerShrinker(p);
    expect(k.alloc.allocPages(GFP_KERNEL | __GFP_NORETRY, 0)).toBe(-1);
    expect(p.counts).toBeGreaterThanOrEqual(13);
    // kswapd, woken by the same allocation, also runs meanwhile (on its own CPU): tell them apart.
    const direct = p.scans.filter((s) => !s.isKswapd);
    expect(direct.length).toBeGreaterThan(0);
    expect(direct.every((s) => s.gfpMask === (GFP_KERNEL | __GFP_NORETRY))).toBe(true);
  });

  it('kswapd: balance_pgdat() calls them at priorities DEF_PRIORITY..1 as kswapd', () => {
    const k = machine();
    exhaust(k);
    const zone = normal(k);
    expect(zone.freePages).toBeLessThanOrEqual(zone.wmarkPages(WMARK_MIN));
    const p = new Probe(262144);
    p.onScan = () => 0;
    k.vmscan.registerShrinker(p);
    k.vmscan.wakeupKswapd(zone, GFP_KERNEL, 0, ZoneType.NORMAL);
    k.clock.runUntil(k.clock.now);
    expect(k.alloc.events.get(VmEvent.PAGEOUTRUN)).toBeGreaterThanOrEqual(1);
    // Each balance_pgdat() pass without progress: shrink_node() at priority 12 down to 1.
    expect(p.counts % 12).toBe(0);
    expect(p.counts).toBeGreaterThanOrEqual(12);
    expect(p.scans.length).toBeGreaterThan(0);
    expect(p.scans.every((s) => s.isKswapd && s.gfpMask === GFP_KERNEL)).toBe(true);
  });

  // kswapd() (mm/vmscan.c:7378-7421, kswapd_try_to_sleep() 7252-7334): after a balance_pgdat() that leaves the node unbalanced,
  // kswapd_try_to_sleep() finds prepare_kswapd_sleep() false (not balanced, kswapd_failures <
  // MAX_RECLAIM_RETRIES), counts KSWAPD_HIGH_WMARK_HIT_QUICKLY and returns, and kswapd runs
  // balance_pgdat() again — until pgdat->kswapd_failures reaches MAX_RECLAIM_RETRIES (16), when
  // prepare_kswapd_sleep() calls the node hopeless and kswapd sleeps. One wakeup of a node with
  // nothing reclaimable is thus 16 balance_pgdat() runs (pageoutrun 16), 15
  // kswapd_high_wmark_hit_quickly, and 16 * 12 shrink_slab() rounds (priorities 12..1 each).
  it('kswapd keeps balancing until the node is hopeless (kswapd_try_to_sleep/prepare_kswapd_sleep)', () => {
    const k = machine();
    exhaust(k);
    const zone = normal(k);
    const p = new Probe(262144);
    p.onScan = () => 0;
    k.vmscan.registerShrinker(p);
    // exhaust()'s last, failing allocation already let kswapd run (and fail) beside it.
    const failedBefore = k.kswapdFailures(0);
    const runs = k.alloc.events.get(VmEvent.PAGEOUTRUN);
    const quick = k.alloc.events.get(VmEvent.KSWAPD_HIGH_WMARK_HIT_QUICKLY);
    expect(failedBefore).toBeLessThan(16);
    k.vmscan.wakeupKswapd(zone, GFP_KERNEL, 0, ZoneType.NORMAL);
    k.clock.runUntil(k.clock.now);
    expect(k.kswapdFailures(0)).toBe(16);
    // Each pass fails, is not balanced at order 0 and balances again, until the 16th failure.
    expect(k.alloc.events.get(VmEvent.PAGEOUTRUN) - runs).toBe(16 - failedBefore);
    expect(k.alloc.events.get(VmEvent.KSWAPD_HIGH_WMARK_HIT_QUICKLY) - quick).toBe(16 - failedBefore - 1);
    expect(p.counts).toBe((16 - failedBefore) * 12);
  });

  // shrink_node() (mm/vmscan.c:6177-6180) adds reclaim_state->reclaimed_slab to
  // sc->nr_reclaimed: the slab *pages* freed while shrinking (mm/slub.c:2024-2025,
  // __free_slab()). shrink_slab()'s return value — objects the shrinkers say they freed — is
  // not counted at all. So a shrinker that reports freed objects without freeing a page is no
  // reclaim progress: direct reclaim goes on down to priority 0 and returns 0.
  it('objects a shrinker freed are not pages reclaimed (reclaim_state->reclaimed_slab)', () => {
    const k = machine();
    const p = new Probe(262144); // reports nr_to_scan objects freed, frees no page
    k.vmscan.registerShrinker(p);
    const got = k.vmscan.tryToFreePages(GFP_KERNEL, 0, k.nodes[0]!.zonelist, ZoneType.NORMAL);
    expect(p.counts).toBe(13);
    expect(got).toBe(0);
  });
});

describe('kmemCacheShrinker on a reclaimable slab cache', () => {
  it('frees slab pages when reclaim runs (direct reclaim at falling priority)', () => {
    const k = machine();
    // Two 2 KiB objects per order-0 slab: a slab goes back to the page allocator as soon as
    // both of its objects are freed.
    const cache = kmemCacheCreate(k, 'dentry-2k', 2048, { reclaimable: true, order: 0 });
    const n = kmemCacheAllocBulk(k, cache, 20000, GFP_KERNEL | __GFP_NORETRY);
    expect(n).toBeGreaterThan(5000);
    const slabPages = k.nodeStat(0, NodeStat.NR_SLAB_RECLAIMABLE);
    expect(slabPages).toBe(Math.ceil(n / 2));
    k.vmscan.registerShrinker(kmemCacheShrinker(k, cache));
    const freeBefore = normal(k).freePages;
    // One try_to_free_pages() pass for SWAP_CLUSTER_MAX pages: count = live objects.
    k.vmscan.tryToFreePages(GFP_KERNEL, 0, k.nodes[0]!.zonelist, ZoneType.NORMAL);
    expect(slabsScanned(k)).toBeGreaterThan(0);
    expect(cache.nrObjects).toBeLessThan(n);
    // Whatever reclaim claimed, the page allocator got back exactly the emptied slabs.
    const freedPages = slabPages - k.nodeStat(0, NodeStat.NR_SLAB_RECLAIMABLE);
    expect(normal(k).freePages - freeBefore).toBe(freedPages);
    expect(cache.nrPages).toBe(k.nodeStat(0, NodeStat.NR_SLAB_RECLAIMABLE));
    checkInvariants(k.alloc);
  });

  it('lets a GFP_KERNEL allocation succeed on a machine full of dentries, without the OOM killer', () => {
    const k = machine();
    const cache = kmemCacheCreate(k, 'dentry-2k', 2048, { reclaimable: true, order: 0 });
    kmemCacheAllocBulk(k, cache, 1 << 20, GFP_KERNEL | __GFP_NORETRY); // until memory runs out
    const slabPages = k.nodeStat(0, NodeStat.NR_SLAB_RECLAIMABLE);
    expect(normal(k).freePages).toBeLessThanOrEqual(normal(k).wmarkPages(WMARK_MIN));
    k.vmscan.registerShrinker(kmemCacheShrinker(k, cache));
    const pfn = k.alloc.allocPages(GFP_KERNEL, 0);
    expect(pfn).toBeGreaterThanOrEqual(0);
    expect(k.oom.events).toEqual([]);
    expect(k.nodeStat(0, NodeStat.NR_SLAB_RECLAIMABLE)).toBeLessThan(slabPages);
    checkInvariants(k.alloc);
  });
});
