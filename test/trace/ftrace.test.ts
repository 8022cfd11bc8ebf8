import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { GFP_HIGHUSER_MOVABLE, GFP_KERNEL, __GFP_COMP } from '../../src/mm/gfp.js';
import type { TraceContext } from '../../src/mm/tracepoints.js';
import {
  FtraceParseError,
  FtraceTextWriter,
  type KmemEvent,
  type ParsedEvent,
  formatEventLine,
  formatTimestamp,
  ftraceHeader,
  hashedPagePointer,
  iterFtrace,
  mmPageAllocBody,
  mmPageAllocExtfragBody,
  mmPageFreeBody,
  mmPagePcpuDrainBody,
  parseFields,
  parseFtrace,
  parseKmemEvent,
} from '../../src/trace/ftrace.js';

const HEADER_LINES = [
  '# tracer: nop',
  '#',
  '# entries-in-buffer/entries-written: 3/5   #P:4',
  '#',
  '#                                _-----=> irqs-off/BH-disabled',
  '#                               / _----=> need-resched',
  '#                              | / _---=> hardirq/softirq',
  '#                              || / _--=> preempt-depth',
  '#                              ||| / _-=> migrate-disable',
  '#                              |||| /     delay',
  '#           TASK-PID     CPU#  |||||  TIMESTAMP  FUNCTION',
  '#              | |         |   |||||     |         |',
];

const ctx = (comm: string, pid: number, cpu: number, timeNs: number): TraceContext => ({ comm, pid, cpu, timeNs });

function only(text: string): ParsedEvent {
  const evs = parseFtrace(text);
  expect(evs).toHaveLength(1);
  return evs[0]!;
}

function errorOf(f: () => unknown): FtraceParseError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(FtraceParseError);
    return e as FtraceParseError;
  }
  throw new Error('expected an FtraceParseError');
}

describe('ftraceHeader', () => {
  it('is byte-exact with print_func_help_header_irq (no tgid)', () => {
    expect(ftraceHeader(3, 5, 4)).toBe(HEADER_LINES.join('\n') + '\n');
  });
});

describe('formatEventLine', () => {
  it('matches the kernel layout', () => {
    const line = formatEventLine(
      ctx('bash', 1234, 2, 312_345_678_000),
      'mm_page_alloc',
      'page=00000000a1b2c3d4 pfn=0x12345 order=0 migratetype=1 gfp_flags=GFP_HIGHUSER_MOVABLE|__GFP_COMP',
    );
    expect(line).toBe(
      '            bash-1234    [002] .....   312.345678: mm_page_alloc: page=00000000a1b2c3d4 pfn=0x12345 order=0 migratetype=1 gfp_flags=GFP_HIGHUSER_MOVABLE|__GFP_COMP',
    );
  });

  it('pads and truncates like %16s-%-7d and [%03d]', () => {
    expect(formatEventLine(ctx('kworker/u8:2', 123, 1, 100_000_001_000), 'e', 'x')).toBe(
      '    kworker/u8:2-123     [001] .....   100.000001: e: x',
    );
    // comm is at most TASK_COMM_LEN - 1 = 15 characters; long pids are not cut.
    expect(formatEventLine(ctx('a-very-long-command-name', 12345678, 123, 0), 'e', 'x')).toBe(
      ' a-very-long-com-12345678 [123] .....     0.000000: e: x',
    );
    // pid 0 is always <idle> (trace_find_cmdline).
    expect(formatEventLine(ctx('swapper/3', 0, 3, 1_000), 'e', 'x')).toBe(
      '          <idle>-0       [003] .....     0.000001: e: x',
    );
  });

  it('rounds to the nearest microsecond (ns2usecs) and widens past 5 digits', () => {
    expect(formatTimestamp(0)).toBe('    0.000000');
    expect(formatTimestamp(499)).toBe('    0.000000');
    expect(formatTimestamp(500)).toBe('    0.000001');
    expect(formatTimestamp(999_999_500)).toBe('    1.000000');
    expect(formatTimestamp(123_456_789_012_345)).toBe('123456.789012');
  });
});

describe('kmem bodies', () => {
  it('prints TP_printk fields', () => {
    const p = hashedPagePointer(0x12345);
    expect(p).toMatch(/^00000000[0-9a-f]{8}$/);
    expect(p).not.toBe('0000000000000000');
    expect(hashedPagePointer(0x12345)).toBe(p);
    expect(hashedPagePointer(0x12346)).not.toBe(p);
    expect(mmPageAllocBody(0x12345, 0, GFP_HIGHUSER_MOVABLE | __GFP_COMP, 1)).toBe(
      `page=${p} pfn=0x12345 order=0 migratetype=1 gfp_flags=GFP_HIGHUSER_MOVABLE|__GFP_COMP`,
    );
    expect(mmPageAllocBody(-1, 3, GFP_KERNEL, 0)).toBe(
      'page=0000000000000000 pfn=0x0 order=3 migratetype=0 gfp_flags=GFP_KERNEL',
    );
    expect(mmPageAllocBody(5, 0, 0, 0)).toMatch(/ gfp_flags=none$/);
    expect(mmPageFreeBody(0x12345, 2)).toBe(`page=${p} pfn=0x12345 order=2`);
    expect(mmPagePcpuDrainBody(0x12345, 0, 2)).toBe(`page=${p} pfn=0x12345 order=0 migratetype=2`);
    expect(mmPageAllocExtfragBody(0x12345, 0, 9, 2, 1, true)).toBe(
      `page=${p} pfn=0x12345 alloc_order=0 fallback_order=9 pageblock_order=9 alloc_migratetype=2 fallback_migratetype=1 fragmenting=0 change_ownership=1`,
    );
    expect(mmPageAllocExtfragBody(0x12345, 1, 3, 0, 1, false)).toMatch(/ fragmenting=1 change_ownership=0$/);
  });
});

describe('FtraceTextWriter', () => {
  it('renders the header and lines', () => {
    const w = new FtraceTextWriter();
    w.mmPageAlloc(ctx('bash', 1234, 2, 312_345_678_000), 0x12345, 0, 0x140cca, 1);
    w.mmPageFree(ctx('bash', 1234, 2, 312_345_679_000), 0x12345, 0);
    const text = w.text(4);
    const lines = text.split('\n');
    expect(lines.slice(0, 12)).toEqual(HEADER_LINES.map((l) => l.replace('3/5', '2/2')));
    expect(lines[12]).toBe(
      `            bash-1234    [002] .....   312.345678: mm_page_alloc: page=${hashedPagePointer(0x12345)} pfn=0x12345 order=0 migratetype=1 gfp_flags=GFP_HIGHUSER_MOVABLE|__GFP_COMP`,
    );
    expect(lines[13]).toBe(
      `            bash-1234    [002] .....   312.345679: mm_page_free: page=${hashedPagePointer(0x12345)} pfn=0x12345 order=0`,
    );
    expect(lines[14]).toBe('');
    expect(lines).toHaveLength(15);
    w.clear();
    expect(w.text(1)).toBe(ftraceHeader(0, 0, 1));
  });

  it('streams to a callback instead of keeping lines', () => {
    const got: string[] = [];
    const w = new FtraceTextWriter((l) => got.push(l));
    w.mmPagePcpuDrain(ctx('kworker/0:1', 17, 0, 5_000), 0x100, 0, 1);
    expect(got).toHaveLength(1);
    expect(w.lines).toHaveLength(0);
    expect(w.text(2)).toBe(ftraceHeader(0, 1, 2));
  });
});

describe('parseFtrace', () => {
  it('parses the literal kernel lines of kernel-mm.md §10', () => {
    const text = [
      ...HEADER_LINES,
      '            bash-1234    [002] .....   312.345678: mm_page_alloc: page=00000000a1b2c3d4 pfn=0x12345 order=0 migratetype=1 gfp_flags=GFP_HIGHUSER_MOVABLE|__GFP_COMP',
      '    kworker/u8:2-123     [001] .....   100.000001: mm_page_alloc: page=000000003c5d9e1a pfn=0x1a2b3 order=0 migratetype=2 gfp_flags=__GFP_HIGHMEM|__GFP_IO|__GFP_FS|__GFP_NOWARN|__GFP_NORETRY|__GFP_COMP|__GFP_HARDWALL|__GFP_RECLAIMABLE',
      '            Xorg-880     [000] d..1.   100.000050: mm_page_alloc_extfrag: page=00000000d00dfeed pfn=0x40200 alloc_order=0 fallback_order=9 pageblock_order=9 alloc_migratetype=2 fallback_migratetype=1 fragmenting=0 change_ownership=1',
      '            Xorg-880     [000] .....   100.000100: mm_page_free: page=000000003c5d9e1a pfn=0x1a2b3 order=0',
      '',
    ].join('\n');
    const evs = parseFtrace(text);
    expect(evs).toHaveLength(4);
    const [a, b, c, d] = evs as [ParsedEvent, ParsedEvent, ParsedEvent, ParsedEvent];
    expect(a).toMatchObject({ line: 13, comm: 'bash', pid: 1234, cpu: 2, flags: '.....', timeNs: 312_345_678_000, event: 'mm_page_alloc' });
    expect(a.fields.page).toBe('00000000a1b2c3d4');
    expect(a.kmem).toEqual({ kind: 'mm_page_alloc', pfn: 0x12345, order: 0, migratetype: 1, gfp: 0x140cca });
    expect(b).toMatchObject({ line: 14, comm: 'kworker/u8:2', pid: 123, cpu: 1, timeNs: 100_000_001_000 });
    expect(b.kmem).toEqual({ kind: 'mm_page_alloc', pfn: 0x1a2b3, order: 0, migratetype: 2, gfp: 0x1520d2 });
    expect(c).toMatchObject({ line: 15, comm: 'Xorg', pid: 880, cpu: 0, flags: 'd..1.', timeNs: 100_000_050_000 });
    expect(c.kmem).toEqual({
      kind: 'mm_page_alloc_extfrag',
      pfn: 0x40200,
      allocOrder: 0,
      fallbackOrder: 9,
      pageblockOrder: 9,
      allocMt: 2,
      fallbackMt: 1,
      fragmenting: false,
      changeOwnership: true,
    });
    expect(d.kmem).toEqual({ kind: 'mm_page_free', pfn: 0x1a2b3, order: 0 });
  });

  it('handles comms with dashes and spaces, irq flags, other events and odd columns', () => {
    expect(only('   my-app thread-42      [007] dNh2. 5.000000: mm_page_free: page=0000000011111111 pfn=0x10 order=1')).toMatchObject({
      comm: 'my-app thread',
      pid: 42,
      cpu: 7,
      flags: 'dNh2.',
    });
    expect(only('kworker/u8:2-123-99 [001] ..s1 1.5: foo: x=1').comm).toBe('kworker/u8:2-123');
    // irq-info off: no flags column.
    expect(only('            bash-1234    [002]   312.345678: mm_page_free: page=0000000011111111 pfn=0x10 order=0')).toMatchObject({
      flags: '',
      timeNs: 312_345_678_000,
    });
    // tgid column.
    expect(only('            bash-1234    (   1200) [002] .....   1.000000: sched_foo: a=1').pid).toBe(1234);
    const cmp = only(
      '      kcompactd0-45      [003] .....  5000.100200: mm_compaction_isolate_migratepages: range=(0x1000 ~ 0x1200) nr_scanned=512 nr_taken=32',
    );
    expect(cmp.kmem).toBeUndefined();
    expect(parseKmemEvent(cmp)).toBeUndefined();
    expect(cmp.fields).toEqual({ range: '(0x1000 ~ 0x1200)', nr_scanned: '512', nr_taken: '32' });
    expect(
      parseFields('zone_start=0x1000 migrate_pfn=0x1000 free_pfn=0x3ffe00 zone_end=0x400000, mode=sync'),
    ).toEqual({ zone_start: '0x1000', migrate_pfn: '0x1000', free_pfn: '0x3ffe00', zone_end: '0x400000', mode: 'sync' });
    expect(parseFields('node=0 zone=Normal   order=3 ret=continue')).toEqual({
      node: '0',
      zone: 'Normal',
      order: '3',
      ret: 'continue',
    });
    const mark = only('            bash-1 [000] ..... 0.000001: tracing_mark_write: hello world');
    expect(mark).toMatchObject({ event: 'tracing_mark_write', body: 'hello world', fields: {} });
  });

  it('parses a failed allocation as pfn -1 and accepts 4.9 decimal pfns', () => {
    const ev = only(
      '            bash-1234    [002] .....   1.000000: mm_page_alloc: page=0000000000000000 pfn=0x0 order=3 migratetype=0 gfp_flags=GFP_KERNEL',
    );
    expect(ev.kmem).toEqual({ kind: 'mm_page_alloc', pfn: -1, order: 3, migratetype: 0, gfp: GFP_KERNEL });
    const old = only('            bash-1234    [002] ....   1.000000: mm_page_free: page=ffffea0000a3c040 pfn=10000 order=0');
    expect(old.kmem).toEqual({ kind: 'mm_page_free', pfn: 10000, order: 0 });
  });

  it('skips # lines and blank lines, CRLF included', () => {
    const text = '# tracer: nop\r\n#\r\n\r\n   \n            bash-1    [000] .....     0.000002: mm_page_free: page=0000000011111111 pfn=0x1 order=0\r\n';
    const evs = parseFtrace(text);
    expect(evs).toHaveLength(1);
    expect(evs[0]!.line).toBe(5);
    expect(evs[0]!.kmem).toEqual({ kind: 'mm_page_free', pfn: 1, order: 0 });
    expect([...iterFtrace('')]).toEqual([]);
    // Kernel comment lines start in column 0; event lines never do (comm is padded to 16).
    expect(only('   #comm-1 [000] ..... 0.000001: mm_page_free: page=0000000011111111 pfn=0x1 order=0').comm).toBe('#comm');
    expect(parseFtrace('   # indented comment\n')).toEqual([]);
  });

  it('reports malformed lines with their line number', () => {
    const good = '            bash-1    [000] .....     0.000002: mm_page_free: page=0000000011111111 pfn=0x1 order=0';
    const cases: [string, RegExp][] = [
      ['this is not a trace line', /^line 12: not a trace event line$/],
      ['            bash-1    [000] .....     0.000002: no event here', /^line 12: missing event name$/],
      [
        '            bash-1    [000] .....     0.000002: mm_page_alloc: page=0000000011111111 pfn=0x1 migratetype=0 gfp_flags=GFP_KERNEL',
        /^line 12: mm_page_alloc: missing field order$/,
      ],
      [
        '            bash-1    [000] .....     0.000002: mm_page_free: page=0000000011111111 pfn=0xzz order=0',
        /^line 12: mm_page_free: bad pfn "0xzz"$/,
      ],
      [
        '            bash-1    [000] .....     0.000002: mm_page_free: pfn=0x1 order=0',
        /^line 12: mm_page_free: missing field page$/,
      ],
      [
        '            bash-1    [000] .....     0.000002: mm_page_alloc: page=0000000011111111 pfn=0x1 order=0 migratetype=0 gfp_flags=GFP_KERNEL|__GFP_NOPE',
        /^line 12: mm_page_alloc: unknown gfp flag "__GFP_NOPE"$/,
      ],
      [
        '            bash-1    [000] .....     0.000002: mm_page_pcpu_drain: page=0000000011111111 pfn=0x1 order=x migratetype=0',
        /^line 12: mm_page_pcpu_drain: bad order "x"$/,
      ],
      [
        '            bash-1    [000] .....     0.000002: mm_page_alloc_extfrag: page=0000000011111111 pfn=0x1 alloc_order=0 fallback_order=9 pageblock_order=9 alloc_migratetype=2 fallback_migratetype=1 fragmenting=0',
        /^line 12: mm_page_alloc_extfrag: missing field change_ownership$/,
      ],
      // Orders outside 0..MAX_ORDER-1 never reach a kmem tracepoint (__alloc_pages() refuses them first).
      [
        '            bash-1    [000] .....     0.000002: mm_page_alloc: page=0000000011111111 pfn=0x1 order=-1 migratetype=0 gfp_flags=GFP_KERNEL',
        /^line 12: mm_page_alloc: order -1 out of range 0\.\.10$/,
      ],
      [
        '            bash-1    [000] .....     0.000002: mm_page_free: page=0000000011111111 pfn=0x1 order=11',
        /^line 12: mm_page_free: order 11 out of range 0\.\.10$/,
      ],
      [
        '            bash-1    [000] .....     0.000002: mm_page_alloc_extfrag: page=0000000011111111 pfn=0x1 alloc_order=0 fallback_order=-3 pageblock_order=9 alloc_migratetype=2 fallback_migratetype=1 fragmenting=1 change_ownership=0',
        /^line 12: mm_page_alloc_extfrag: fallback_order -3 out of range 0\.\.10$/,
      ],
    ];
    for (const [bad, re] of cases) {
      const lines = ['# tracer: nop', '#', '', ...Array<string>(8).fill(good), bad, good];
      const e = errorOf(() => parseFtrace(lines.join('\n')));
      expect(e.line).toBe(12);
      expect(e.message).toMatch(re);
      expect(e.name).toBe('FtraceParseError');
    }
  });
});

describe('parse options', () => {
  it('parses only the kmem events asked for; other malformed kmem lines keep their fields', () => {
    const text = [
      '            bash-1    [000] .....     0.000001: mm_page_pcpu_drain: page=0000000011111111 pfn=0x1 order=zz migratetype=0',
      '            bash-1    [000] .....     0.000002: mm_page_alloc_extfrag: page=0000000011111111 pfn=0x1 alloc_order=0',
      '            bash-1    [000] .....     0.000003: mm_page_free: page=0000000011111111 pfn=0x2 order=1',
    ].join('\n');
    // By default all four are strict: the first line is an error.
    expect(errorOf(() => parseFtrace(text)).message).toBe('line 1: mm_page_pcpu_drain: bad order "zz"');
    const evs = parseFtrace(text, { kmem: ['mm_page_alloc', 'mm_page_free'] });
    expect(evs.map((e) => e.kmem)).toEqual([undefined, undefined, { kind: 'mm_page_free', pfn: 2, order: 1 }]);
    expect(evs[0]!.fields).toEqual({ page: '0000000011111111', pfn: '0x1', order: 'zz', migratetype: '0' });
    // A malformed event of a kind that is asked for is still an error.
    expect(errorOf(() => parseFtrace(text.replace('order=1', 'order=-1'), { kmem: ['mm_page_free'] })).message).toBe(
      'line 3: mm_page_free: order -1 out of range 0..10',
    );
  });
});

describe('format -> parse round trip', () => {
  const commArb = fc
    .string({ minLength: 1, maxLength: 15 })
    .filter((s) => s.trimStart() === s && !/[\n\r]/.test(s));
  const ctxArb = fc.record({
    comm: commArb,
    pid: fc.integer({ min: 1, max: 4_194_304 }),
    cpu: fc.integer({ min: 0, max: 1023 }),
    timeNs: fc.integer({ min: 0, max: 2 ** 40 }).map((us) => us * 1000),
  });
  const pfnArb = fc.integer({ min: 1, max: 2 ** 40 });
  const orderArb = fc.integer({ min: 0, max: 10 });
  const mtArb = fc.integer({ min: 0, max: 4 });
  const eventArb: fc.Arbitrary<KmemEvent> = fc.oneof(
    fc.record({
      kind: fc.constant('mm_page_alloc' as const),
      pfn: fc.oneof(pfnArb, fc.constant(-1)),
      order: orderArb,
      migratetype: mtArb,
      gfp: fc.integer({ min: 0, max: 0xffffff }),
    }),
    fc.record({ kind: fc.constant('mm_page_free' as const), pfn: pfnArb, order: orderArb }),
    fc.record({ kind: fc.constant('mm_page_pcpu_drain' as const), pfn: pfnArb, order: orderArb, migratetype: mtArb }),
    fc
      .record({
        pfn: pfnArb,
        allocOrder: orderArb,
        fallbackOrder: orderArb,
        allocMt: mtArb,
        fallbackMt: mtArb,
        changeOwnership: fc.boolean(),
      })
      .map((r) => ({
        kind: 'mm_page_alloc_extfrag' as const,
        ...r,
        pageblockOrder: 9,
        fragmenting: r.fallbackOrder < 9,
      })),
  );

  function emit(w: FtraceTextWriter, c: TraceContext, e: KmemEvent): void {
    switch (e.kind) {
      case 'mm_page_alloc':
        return w.mmPageAlloc(c, e.pfn, e.order, e.gfp, e.migratetype);
      case 'mm_page_free':
        return w.mmPageFree(c, e.pfn, e.order);
      case 'mm_page_pcpu_drain':
        return w.mmPagePcpuDrain(c, e.pfn, e.order, e.migratetype);
      case 'mm_page_alloc_extfrag':
        return w.mmPageAllocExtfrag(c, e.pfn, e.allocOrder, e.fallbackOrder, e.allocMt, e.fallbackMt, e.changeOwnership);
    }
  }

  it('gives back the same context and values', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(ctxArb, eventArb), { maxLength: 20 }), (items) => {
        const w = new FtraceTextWriter();
        for (const [c, e] of items) emit(w, c, e);
        const evs = parseFtrace(w.text(8));
        expect(evs).toHaveLength(items.length);
        evs.forEach((ev, i) => {
          const [c, e] = items[i]!;
          expect(ev.line).toBe(13 + i);
          expect({ comm: ev.comm, pid: ev.pid, cpu: ev.cpu, timeNs: ev.timeNs, flags: ev.flags }).toEqual({ ...c, flags: '.....' });
          expect(ev.event).toBe(e.kind);
          expect(ev.kmem).toEqual(e);
        });
        // Re-rendering the parsed events reproduces the text.
        const w2 = new FtraceTextWriter();
        for (const ev of evs) emit(w2, ev, ev.kmem!);
        expect(w2.text(8)).toBe(w.text(8));
      }),
      { numRuns: 300 },
    );
  });
});
