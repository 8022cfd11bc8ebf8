import { describe, expect, it } from 'vitest';
import type { MachineConfig } from '../../src/machine/config.js';
import { loadMachineSpec } from '../../src/machine/spec.js';
import { MigrateType } from '../../src/mm/constants.js';
import { checkInvariants } from '../../src/mm/debug_vm.js';
import { GFP_HIGHUSER_MOVABLE, GFP_KERNEL, __GFP_RECLAIMABLE } from '../../src/mm/gfp.js';
import { bootMachine } from '../../src/mm/mm_init.js';
import type { PageAllocator } from '../../src/mm/page_alloc.js';
import { renderBuddyinfo } from '../../src/mm/procfs.js';
import { takeSnapshot } from '../../src/mm/show.js';
import { PLACEMENTS_HEADER, ReplayError, placementsTsv, replayTrace } from '../../src/replay/replay.js';
import { Prng } from '../../src/sim/prng.js';
import { FtraceTextWriter } from '../../src/trace/ftrace.js';

const MACHINE = loadMachineSpec('machine:\n  cpus: 2\n  pcp: true\n  memory: 256MiB\n', 'm.yaml');

/** Run a random alloc/free mix on a fresh machine, recording the ftrace text it produces. */
function recordRun(config: MachineConfig, seed: number, ops: number): { text: string; buddyinfo: string } {
  const { alloc } = bootMachine(config);
  const writer = new FtraceTextWriter();
  alloc.trace = writer;
  const prng = new Prng(seed);
  const live: [number, number][] = [];
  const gfps = [GFP_HIGHUSER_MOVABLE, GFP_KERNEL, GFP_KERNEL | __GFP_RECLAIMABLE];
  for (let i = 0; i < ops; i++) {
    alloc.cpu = prng.nextInt(config.cpus);
    if (live.length && prng.nextFloat() < 0.4) {
      const j = prng.nextInt(live.length);
      const [pfn, order] = live[j]!;
      live[j] = live[live.length - 1]!;
      live.pop();
      alloc.freePages(pfn, order);
    } else {
      const order = prng.nextInt(4);
      const pfn = alloc.allocPages(gfps[prng.nextInt(3)]!, order);
      if (pfn >= 0) live.push([pfn, order]);
    }
  }
  alloc.trace = null;
  return { text: writer.text(config.cpus), buddyinfo: renderBuddyinfo(takeSnapshot(alloc)) };
}

describe('replayTrace', () => {
  it('kernel placement reproduces every pfn of a trace the same machine produced', () => {
    const { text, buddyinfo } = recordRun(MACHINE, 7, 4000);
    const { alloc } = bootMachine(MACHINE);
    const rows = replayTrace(alloc, text, 'kernel');
    expect(rows.length).toBeGreaterThan(3000);
    const moved = rows.filter((r) => r.simPfn !== r.tracePfn);
    expect(moved).toEqual([]);
    expect(renderBuddyinfo(takeSnapshot(alloc))).toBe(buddyinfo);
    checkInvariants(alloc);
  });

  it('trace placement puts each block at the traced pfn, carving it out of larger free blocks', () => {
    const { text } = recordRun(MACHINE, 11, 3000);
    // A pcp-less machine cannot choose the same pfns itself, but trace placement forces them.
    const nopcp = { ...MACHINE, pcp: false };
    const { alloc } = bootMachine(nopcp);
    const rows = replayTrace(alloc, text, 'trace');
    expect(rows.every((r) => r.simPfn === r.tracePfn)).toBe(true);
    checkInvariants(alloc);
    // The same trace under kernel placement on the pcp-less machine lands elsewhere.
    const other = bootMachine(nopcp).alloc;
    const krows = replayTrace(other, text, 'kernel');
    expect(krows.some((r) => r.simPfn !== r.tracePfn)).toBe(true);
  });

  it('reads real kernel lines, skips other events and comments, and records migratetypes', () => {
    const text = [
      '# tracer: nop',
      '#',
      '            bash-1234    [000] .....   312.345678: mm_page_alloc: page=00000000a1b2c3d4 pfn=0x1000 order=2 migratetype=0 gfp_flags=GFP_KERNEL',
      '            bash-1234    [001] d..1.   312.345679: mm_compaction_suitable: node=0 zone=DMA32    order=3 ret=continue',
      '    kworker/u8:2-123     [001] .....   312.400000: mm_page_alloc: page=0000000000000000 pfn=0x0 order=3 migratetype=1 gfp_flags=GFP_HIGHUSER_MOVABLE|__GFP_COMP',
      '            bash-1234    [000] .....   312.500000: mm_page_free: page=00000000a1b2c3d4 pfn=0x1000 order=2',
      '',
    ].join('\n');
    const { alloc } = bootMachine({ ...MACHINE, pcp: false });
    const rows = replayTrace(alloc, text, 'trace');
    // The alloc row keeps the requested type (UNMOVABLE); the free row has the pageblock's,
    // still MOVABLE because a placed block is carved out without any fallback stealing.
    expect(placementsTsv(rows)).toBe(
      `${PLACEMENTS_HEADER}\n0\talloc\t0x1000\t0x1000\t2\t0\n1\tfree\t0x1000\t0x1000\t2\t${MigrateType.MOVABLE}\n`,
    );
  });

  it('a free of any aligned piece of a live block follows the block (split_page)', () => {
    const text = [
      '   t-1 [000] .....     1.000000: mm_page_alloc: page=0000000011111111 pfn=0x2000 order=2 migratetype=1 gfp_flags=GFP_HIGHUSER_MOVABLE',
      '   t-1 [000] .....     1.000001: mm_page_free: page=0000000011111111 pfn=0x2003 order=0',
      '   t-1 [000] .....     1.000002: mm_page_free: page=0000000011111111 pfn=0x2000 order=1',
      '   t-1 [000] .....     1.000003: mm_page_free: page=0000000011111111 pfn=0x2002 order=0',
    ].join('\n');
    const { alloc } = bootMachine({ ...MACHINE, pcp: false });
    const rows = replayTrace(alloc, text, 'kernel');
    const base = rows[0]!.simPfn;
    expect(rows.map((r) => r.simPfn - base)).toEqual([0, 3, 0, 2]);
    checkInvariants(alloc);
  });

  it('names the line of a free of a pfn that is not allocated', () => {
    const text = '# c\n   t-1 [000] .....     1.000000: mm_page_free: page=0000000011111111 pfn=0x2000 order=0\n';
    const { alloc } = bootMachine(MACHINE);
    expect(() => replayTrace(alloc, text, 'kernel')).toThrow(ReplayError);
    expect(() => replayTrace(bootMachine(MACHINE).alloc, text, 'kernel')).toThrow(/^line 2: mm_page_free pfn=0x2000 order=0: that block is not allocated/);
  });

  it('names the line of a malformed event and of an allocation that cannot be placed', () => {
    const bad = '   t-1 [000] .....     1.000000: mm_page_alloc: page=0000000011111111 pfn=0x2000 migratetype=1 gfp_flags=GFP_KERNEL\n';
    expect(() => replayTrace(bootMachine(MACHINE).alloc, bad, 'kernel')).toThrow(/^line 1: mm_page_alloc: missing field order/);
    const twice = [
      '   t-1 [000] .....     1.000000: mm_page_alloc: page=0000000011111111 pfn=0x2000 order=0 migratetype=0 gfp_flags=GFP_KERNEL',
      '   t-1 [000] .....     1.000001: mm_page_alloc: page=0000000011111111 pfn=0x2000 order=0 migratetype=0 gfp_flags=GFP_KERNEL',
    ].join('\n');
    expect(() => replayTrace(bootMachine({ ...MACHINE, pcp: false }).alloc, twice, 'trace')).toThrow(/^line 2: mm_page_alloc pfn=0x2000 order=0: no free block/);
    const outside = '   t-1 [000] .....     1.000000: mm_page_alloc: page=0000000011111111 pfn=0x9999999 order=0 migratetype=0 gfp_flags=GFP_KERNEL\n';
    expect(() => replayTrace(bootMachine(MACHINE).alloc, outside, 'trace')).toThrow(/^line 1: .*no free block/);
  });

  const line = (ts: string, event: string, body: string): string => `   t-1 [000] .....     ${ts}: ${event}: page=0000000011111111 ${body}`;

  it('rejects an order outside 0..MAX_ORDER-1 at its line, before touching the allocator', () => {
    const nopcp = { ...MACHINE, pcp: false };
    const freePages = (a: PageAllocator): number => a.zoneById.reduce((n, z) => n + (z ? z.freePages : 0), 0);
    const bootFree = freePages(bootMachine(nopcp).alloc);
    for (const [bad, detail] of [
      [line('1.000001', 'mm_page_alloc', 'pfn=0x2000 order=-1 migratetype=0 gfp_flags=GFP_KERNEL'), 'mm_page_alloc: order -1 out of range 0..10'],
      [line('1.000001', 'mm_page_free', 'pfn=0x2000 order=11'), 'mm_page_free: order 11 out of range 0..10'],
    ] as const) {
      const text = [line('1.000000', 'mm_page_alloc', 'pfn=0x2000 order=0 migratetype=0 gfp_flags=GFP_KERNEL'), bad].join('\n');
      for (const placement of ['kernel', 'trace'] as const) {
        const { alloc } = bootMachine(nopcp);
        expect(() => replayTrace(alloc, text, placement)).toThrow(new ReplayError(2, detail));
        // Only the first line's page was allocated, and the lists are intact.
        checkInvariants(alloc);
        expect(freePages(alloc)).toBe(bootFree - 1);
      }
    }
  });

  it('reports gfp zone modifiers no zone serves (GFP_DMA|GFP_DMA32) as a replay error at their line', () => {
    const text = ['# tracer: nop', line('1.000000', 'mm_page_alloc', 'pfn=0x2000 order=0 migratetype=0 gfp_flags=GFP_DMA|GFP_DMA32')].join('\n');
    for (const placement of ['kernel', 'trace'] as const) {
      expect(() => replayTrace(bootMachine(MACHINE).alloc, text, placement)).toThrow(ReplayError);
      expect(() => replayTrace(bootMachine(MACHINE).alloc, text, placement)).toThrow(
        /^line 2: mm_page_alloc gfp_flags=GFP_DMA\|GFP_DMA32: invalid zone modifiers/,
      );
    }
  });

  it('skips events it does not replay, even malformed ones', () => {
    const text = [
      line('1.000000', 'mm_page_alloc', 'pfn=0x2000 order=1 migratetype=0 gfp_flags=GFP_KERNEL'),
      line('1.000001', 'mm_page_pcpu_drain', 'pfn=0x2000 order=x migratetype=0'),
      line('1.000002', 'mm_page_alloc_extfrag', 'pfn=0x2000 alloc_order=-4'),
      line('1.000003', 'mm_page_free', 'pfn=0x2000 order=1'),
    ].join('\n');
    const rows = replayTrace(bootMachine({ ...MACHINE, pcp: false }).alloc, text, 'trace');
    expect(rows.map((r) => [r.event, r.tracePfn, r.order])).toEqual([['alloc', 0x2000, 1], ['free', 0x2000, 1]]);
  });

  it('frees of pfns above 2^32 are not confused with the 32-bit truncated pfn', () => {
    // A live block at 0x2000; a free of 0x1_0000_2000 names a pfn that is not allocated.
    const text = [
      line('1.000000', 'mm_page_alloc', 'pfn=0x2000 order=0 migratetype=0 gfp_flags=GFP_KERNEL'),
      line('1.000001', 'mm_page_free', 'pfn=0x100002000 order=0'),
    ].join('\n');
    expect(() => replayTrace(bootMachine({ ...MACHINE, pcp: false }).alloc, text, 'trace')).toThrow(
      /^line 2: mm_page_free pfn=0x100002000 order=0: that block is not allocated/,
    );
  });
});
