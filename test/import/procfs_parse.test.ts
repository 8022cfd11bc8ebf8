import { describe, expect, it } from 'vitest';
import { snapshotOfState } from '../../src/import/build.js';
import {
  ImportError, type RealState, deriveWatermarkSysctls, freePagesOf, parseBuddyinfo, parseHarnessRun, parsePagetypeinfo,
  parseProcfsState, parseRealStateJson, parseZoneinfo,
} from '../../src/import/procfs_parse.js';
import { realStateJson } from '../../src/import/build.js';
import { MAX_ORDER, MigrateType } from '../../src/mm/constants.js';
import { renderBuddyinfo, renderPagetypeinfo, renderZoneinfo } from '../../src/mm/procfs.js';
import { FIXTURES, fixtureText, phaseNames } from './helpers.js';

/** The state as the three /proc files print it, parsed back. */
function procfsRoundTrip(state: RealState): RealState {
  const snap = snapshotOfState(state);
  return parseProcfsState({
    zoneinfo: { text: renderZoneinfo(snap), file: 'zoneinfo' },
    buddyinfo: { text: renderBuddyinfo(snap), file: 'buddyinfo' },
    pagetypeinfo: { text: renderPagetypeinfo(snap), file: 'pagetypeinfo' },
  });
}

function importError(f: () => unknown): ImportError {
  try {
    f();
  } catch (e) {
    if (e instanceof ImportError) return e;
    throw new Error(`expected an ImportError, got ${String(e)}`);
  }
  throw new Error('expected an ImportError, nothing was thrown');
}

const BOOT = parseHarnessRun(fixtureText('b-pinned.1.json'), 'b-pinned.1.json');
const SNAP = snapshotOfState(BOOT);
const ZONEINFO = renderZoneinfo(SNAP);
const BUDDYINFO = renderBuddyinfo(SNAP);
const PAGETYPEINFO = renderPagetypeinfo(SNAP);

function replaceLine(text: string, line: number, by: string): string {
  const lines = text.split('\n');
  lines[line - 1] = by;
  return lines.join('\n');
}

function lineOf(text: string, pred: (l: string) => boolean): number {
  return text.split('\n').findIndex(pred) + 1;
}

describe('parseHarnessRun', () => {
  it('reads geometry, sysctls, cpus and the boot phase of a recorded run', () => {
    const s = BOOT;
    expect(s.format).toBe('pagelab-real-state');
    expect(s.version).toBe(1);
    // The boot phase was recorded right after memscen's settle step (its info.settled).
    expect(s.source).toEqual({ kind: 'harness', files: ['b-pinned.1.json'], phase: 'boot', scenario: 'pinned-shmem', kernelRelease: '6.1.0-56-amd64', settled: true });
    expect(s.cpus).toBe(2);
    expect(s.thp).toEqual({ configured: true, enabled: 'never', defrag: 'never' });
    expect(s.sysctl).toMatchObject({ minFreeKbytes: 3823, watermarkScaleFactor: 10, watermarkBoostFactor: 15000, lowmemReserveRatio: [256, 256, 32, 0, 0], percpuPagelistHighFraction: 0 });
    expect(Object.values(s.sysctl.sources).every((v) => v === 'recorded')).toBe(true);
    expect(s.zones.map((z) => z.name)).toEqual(['DMA', 'DMA32', 'Normal', 'Movable', 'Device']);
    const [dma, dma32] = s.zones;
    expect(dma).toMatchObject({ nid: 0, startPfn: 1, spanned: 4095, present: 3998, managed: 3840, min: 14, low: 17, high: 20, boost: 0, protection: [0, 933, 933, 933, 933] });
    expect(dma32).toMatchObject({ startPfn: 4096, spanned: 258013, present: 258013, managed: 241526, min: 940, low: 1181, high: 1422 });
    expect(dma!.nrFree).toEqual([0, 0, 0, 0, 0, 1, 1, 1, 0, 1, 3]);
    expect(dma32!.nrFree).toEqual([46, 23, 22, 26, 13, 10, 6, 5, 5, 1, 223]);
    expect(dma32!.freeByType[MigrateType.RECLAIMABLE]).toEqual([1, 2, 2, 5, 1, 2, 1, 0, 1, 0, 0]);
    expect(dma32!.pageblocks).toEqual([21, 477, 6, 0, 0]);
    expect(s.zones[2]).toMatchObject({ startPfn: 0, spanned: 0, present: 0, nrFree: new Array(MAX_ORDER).fill(0) });
    expect(s.notes).toEqual([]);
  });

  it('imports any phase and lists the phases when the one asked for is missing', () => {
    const frag = parseHarnessRun(fixtureText('a-random.1.json'), 'a.json', 'fragmented');
    expect(frag.source.phase).toBe('fragmented');
    expect(frag.source.settled).toBe(false);
    const e = importError(() => parseHarnessRun(fixtureText('a-random.1.json'), 'a.json', 'nope'));
    expect(e.message).toBe(
      'a.json:1: phases: expected a phase named "nope" (the run has "boot", "filled", "fragmented", "hp_direct", "compacted", "hp_after_compact", "end"), found none',
    );
  });

  it('notes where buddyinfo and pagetypeinfo were read at different moments, and follows pagetypeinfo', () => {
    const s = parseHarnessRun(fixtureText('a-random.2.json'), 'a-random.2.json', 'filled');
    expect(s.notes).toHaveLength(1);
    expect(s.notes[0]).toMatch(/^node 0 zone DMA32: buddyinfo and pagetypeinfo disagree at order 0 \(buddyinfo \d+, pagetypeinfo \d+\), 1 .*, 6 .*the import follows pagetypeinfo/);
  });

  it('accepts an already parsed object (errors then carry no line)', () => {
    const obj = JSON.parse(fixtureText('a-random.1.json')) as { nr_cpus: unknown };
    expect(parseHarnessRun(obj, 'x.json').zones).toEqual(parseHarnessRun(fixtureText('a-random.1.json'), 'x.json').zones);
    obj.nr_cpus = 0;
    const e = importError(() => parseHarnessRun(obj, 'x.json'));
    expect(e.line).toBeUndefined();
    expect(e.message).toBe('x.json: nr_cpus: expected the number of CPUs (a whole number >= 1), found "0"');
  });

  it('names the line of a problem in a pretty-printed run', () => {
    const run = JSON.parse(fixtureText('a-random.1.json')) as { phases: { buddyinfo: Record<string, Record<string, number[]>> }[] };
    run.phases[2]!.buddyinfo['0']!['DMA32']!.pop();
    const text = JSON.stringify(run, null, 1);
    const e = importError(() => parseHarnessRun(text, 'pretty.json', 'fragmented'));
    // The first "DMA32": [ after phase 2's buddyinfo (phases 0 and 1 come before it).
    const lines = text.split('\n');
    let seen = 0;
    let line = 0;
    for (let i = 0; i < lines.length; i++) {
      if (lines[i]!.includes('"buddyinfo"')) seen++;
      if (seen === 3 && lines[i]!.includes('"DMA32": [')) {
        line = i + 1;
        break;
      }
    }
    expect(line).toBeGreaterThan(1);
    expect(e.line).toBe(line);
    expect(e.field).toBe('phases[2].buddyinfo.0.DMA32');
    expect(e.message).toBe(`pretty.json:${line}: phases[2].buddyinfo.0.DMA32: expected a list of 11 whole numbers (orders 0..10), found a list of 10`);
  });

  it('reports JSON syntax errors at their line', () => {
    const e = importError(() => parseHarnessRun('{\n  "format_version": 1,\n  "zones": [1,,2]\n}\n', 'bad.json'));
    expect(e.file).toBe('bad.json');
    expect(e.line).toBe(3);
    expect(e.message).toBe('bad.json:3: expected valid JSON: a JSON value, found ",2]\\n}\\n"');
    expect(importError(() => parseHarnessRun('{"a": 1', 'cut.json')).message).toBe("cut.json:1: expected valid JSON: ',' or '}' after an object member, found the end of the text");
  });

  it('rejects what pagelab does not model, naming the field', () => {
    const run = JSON.parse(fixtureText('a-random.1.json')) as Record<string, unknown>;
    run['pageblock_order'] = 10;
    expect(importError(() => parseHarnessRun(JSON.stringify(run), 'r.json')).message).toBe('r.json:1: pageblock_order: expected pageblock_order 9, found "10"');
    const run2 = JSON.parse(fixtureText('a-random.1.json')) as { phases: { pagetypeinfo: { zones: Record<string, Record<string, { free: Record<string, number[]> }>> } }[] };
    run2.phases[0]!.pagetypeinfo.zones['0']!['DMA']!.free['CMA'] = new Array(11).fill(0);
    expect(importError(() => parseHarnessRun(JSON.stringify(run2), 'r.json')).message).toMatch(/^r\.json:1: phases\[0\]\.pagetypeinfo\.zones\.0\.DMA\.free\.CMA: expected the 5 migratetypes of a kernel without CMA/);
  });

  it('checks the pageblock counts against the zone span', () => {
    const run = JSON.parse(fixtureText('a-random.1.json')) as { phases: { pagetypeinfo: { zones: Record<string, Record<string, { blocks: Record<string, number> }>> } }[] };
    run.phases[0]!.pagetypeinfo.zones['0']!['DMA32']!.blocks['Movable'] = 476;
    const e = importError(() => parseHarnessRun(JSON.stringify(run), 'r.json'));
    expect(e.message).toBe('r.json:1: phases[0].pagetypeinfo.zones.0.DMA32.blocks: expected 504 pageblocks for node 0 zone DMA32 (258013 spanned pages from pfn 4096 in steps of 512), found 503');
  });
});

describe('the /proc text parsers', () => {
  for (const file of FIXTURES) {
    const names = phaseNames(file);
    it(`${file}: rendering every phase as kernel text and parsing it back gives the same state`, () => {
      for (const phase of names) {
        const a = parseHarnessRun(fixtureText(file), file, phase);
        const b = procfsRoundTrip(a);
        // The harness records the LRU pages only summed over the zones: the rendered zoneinfo
        // prints its per-zone counters as 0 (none for an unpopulated zone).
        expect(a.zones.some((z) => z.lruPages! > 0)).toBe(true);
        expect(b.zones, `${file} ${phase}`).toEqual(a.zones.map((z) => ({ ...z, lruPages: z.present > 0 ? 0 : null })));
        expect(b.cpus).toBe(a.cpus);
        // min_free_kbytes comes back to the page (the kernel keeps min_free_kbytes >> 2 pages).
        expect(b.sysctl.minFreeKbytes >> 2).toBe(a.sysctl.minFreeKbytes >> 2);
        expect(b.sysctl.watermarkScaleFactor).toBe(a.sysctl.watermarkScaleFactor);
        expect(b.sysctl.sources.minFreeKbytes).toBe('derived');
        expect(b.source).toEqual({ kind: 'procfs', files: ['zoneinfo', 'buddyinfo', 'pagetypeinfo'], phase: null, scenario: null, kernelRelease: null });
        expect(b.notes.filter((n) => n.includes('disagree'))).toEqual(a.notes.filter((n) => n.includes('disagree')));
      }
    });
  }

  it('parses zoneinfo: every zone, start_pfn only where printed, pageset cpus', () => {
    const zones = parseZoneinfo(ZONEINFO, 'zoneinfo');
    expect(zones.map((z) => [z.name, z.startPfn, z.cpus, z.line])).toEqual([
      ['DMA', 1, 2, 1],
      ['DMA32', 4096, 2, lineOf(ZONEINFO, (l) => l === 'Node 0, zone    DMA32')],
      ['Normal', null, 0, lineOf(ZONEINFO, (l) => l === 'Node 0, zone   Normal')],
      ['Movable', null, 0, lineOf(ZONEINFO, (l) => l === 'Node 0, zone  Movable')],
      ['Device', null, 0, lineOf(ZONEINFO, (l) => l === 'Node 0, zone   Device')],
    ]);
    expect(zones[0]).toMatchObject({ min: 14, low: 17, high: 20, spanned: 4095, present: 3998, managed: 3840, protection: [0, 933, 933, 933, 933] });
    // The LRU pages: the zone's own nr_zone_* LRU counters summed (not the per-node ones); none
    // printed for an unpopulated zone.
    expect(zones.map((z) => z.lruPages)).toEqual([0, 0, null, null, null]);
    const dma32 = ZONEINFO.indexOf('Node 0, zone    DMA32');
    const text = ZONEINFO.slice(0, dma32) + ZONEINFO.slice(dma32)
      .replace(/nr_zone_inactive_anon 0\n/, 'nr_zone_inactive_anon 1469\n')
      .replace(/nr_zone_active_anon 0\n/, 'nr_zone_active_anon 433\n')
      .replace(/nr_zone_unevictable 0\n/, 'nr_zone_unevictable 2\n');
    expect(parseZoneinfo(text, 'zoneinfo').map((z) => z.lruPages)).toEqual([0, 1904, null, null, null]);
  });

  it('takes the LRU pages of a harness phase from its vmstat, split over the zones by their used pages', () => {
    const doc = JSON.parse(fixtureText('a-random.1.json')) as { phases: { name: string; vmstat: Record<string, number> }[] };
    const v = doc.phases.find((p) => p.name === 'fragmented')!.vmstat;
    const total = ['nr_zone_inactive_anon', 'nr_zone_active_anon', 'nr_zone_inactive_file', 'nr_zone_active_file', 'nr_zone_unevictable'].reduce((a, c) => a + v[c]!, 0);
    const s = parseHarnessRun(fixtureText('a-random.1.json'), 'a.json', 'fragmented');
    const [dma, dma32] = s.zones;
    expect(dma!.lruPages! + dma32!.lruPages!).toBe(total);
    expect(total).toBeGreaterThan(100_000);
    // DMA has 32 pages in use, DMA32 112,084: DMA's share is 32/112,116 of the total.
    const used = (z: RealState['zones'][number]): number => z.managed - freePagesOf(z);
    expect([used(dma!), used(dma32!)]).toEqual([32, 112_084]);
    expect(dma!.lruPages).toBe(Math.round((total * 32) / 112_116));
    expect(s.zones.slice(2).map((z) => z.lruPages)).toEqual([null, null, null]);
  });

  it('resolves >100000 cells from buddyinfo', () => {
    const s = structuredClone(BOOT);
    const dma32 = s.zones[1]!;
    dma32.freeByType[MigrateType.MOVABLE]![0] = 123456;
    dma32.freeByType[MigrateType.MOVABLE]![10] = 100; // room for them in the managed pages
    dma32.nrFree[10] = 100;
    dma32.freeByType[MigrateType.UNMOVABLE]![0] = 17;
    dma32.nrFree[0] = 123456 + 17 + dma32.freeByType[MigrateType.RECLAIMABLE]![0]!;
    const pti = renderPagetypeinfo(snapshotOfState(s));
    expect(pti).toContain('type      Movable >100000 ');
    const back = procfsRoundTrip(s);
    expect(back.zones[1]!.freeByType).toEqual(dma32.freeByType);
    expect(back.zones[1]!.capped).toEqual([[MigrateType.MOVABLE, 0]]);
  });

  it('derives min_free_kbytes and watermark_scale_factor from the watermarks', () => {
    expect(deriveWatermarkSysctls(BOOT.zones)).toEqual({ minFreeKbytes: 3820, watermarkScaleFactor: 10 });
    const z = structuredClone(BOOT.zones);
    z[1]!.low += 1; // no scale factor gives this gap
    expect(deriveWatermarkSysctls(z).watermarkScaleFactor).toBeNull();
  });
});

describe('malformed /proc text', () => {
  const files = (over: Partial<Record<'zoneinfo' | 'buddyinfo' | 'pagetypeinfo', string>>) => ({
    zoneinfo: { text: over.zoneinfo ?? ZONEINFO, file: 'zi' },
    buddyinfo: { text: over.buddyinfo ?? BUDDYINFO, file: 'bi' },
    pagetypeinfo: { text: over.pagetypeinfo ?? PAGETYPEINFO, file: 'pti' },
  });

  it('zoneinfo: an unknown line, a missing field, a foreign zone, a short protection tuple', () => {
    const n = lineOf(ZONEINFO, (l) => l.startsWith('        spanned'));
    let e = importError(() => parseZoneinfo(replaceLine(ZONEINFO, n, '        spanned  lots'), 'zi'));
    expect(e.line).toBe(n);
    expect(e.message).toBe(`zi:${n}: expected the zone's "pages free", "boost", "min", "low", "high", "spanned", "present", "managed", "cma" or "protection: (...)" line, found "        spanned  lots"`);

    e = importError(() => parseZoneinfo(ZONEINFO.split('\n').filter((_, i) => i + 1 !== n).join('\n'), 'zi'));
    expect(e.line).toBe(1);
    expect(e.message).toBe('zi:1: expected a "spanned" line in zone DMA of node 0, found none before the next zone or the end of the file');

    e = importError(() => parseZoneinfo(replaceLine(ZONEINFO, 1, 'Node 0, zone  HighMem'), 'zi'));
    expect(e.message).toBe('zi:1: expected a zone name of Debian\'s 6.1 config (DMA, DMA32, Normal, Movable, Device), found "HighMem"');

    const p = lineOf(ZONEINFO, (l) => l.includes('protection:'));
    e = importError(() => parseZoneinfo(replaceLine(ZONEINFO, p, '        protection: (0, 933, 933, 933)'), 'zi'));
    expect(e.line).toBe(p);
    expect(e.expected).toMatch(/^a protection tuple of 5 values/);

    e = importError(() => parseZoneinfo(BUDDYINFO, 'zi'));
    expect(e.message).toMatch(/^zi:1: expected a zone header "Node N, zone NAME" \(the first line of \/proc\/zoneinfo\), found "Node 0, zone      DMA      0/);

    const t = lineOf(ZONEINFO, (l) => l.startsWith('  start_pfn:'));
    e = importError(() => parseZoneinfo(ZONEINFO.split('\n').filter((_, i) => i + 1 !== t).join('\n'), 'zi'));
    expect(e.message).toBe('zi:1: expected a "start_pfn:" line in populated zone DMA of node 0, found none');
  });

  it('buddyinfo: wrong number of orders, garbage, a zone zoneinfo does not have', () => {
    let e = importError(() => parseBuddyinfo(BUDDYINFO.replace(' 223 \n', '\n'), 'bi'));
    expect(e.message).toBe('bi:2: expected 11 free-block counts (orders 0..10, MAX_ORDER 11), found 10 counts');
    e = importError(() => parseBuddyinfo('Node 0, zone DMA 1 2 x\n', 'bi'));
    expect(e.line).toBe(1);
    expect(e.expected).toMatch(/^a \/proc\/buddyinfo line/);
    e = importError(() => parseProcfsState(files({ buddyinfo: BUDDYINFO + 'Node 0, zone   Normal      0      0      0      0      0      0      0      0      0      0      0 \n' })));
    expect(e.message).toBe('bi:3: expected a line only for a populated zone of zi, found node 0 zone Normal');
    e = importError(() => parseProcfsState(files({ buddyinfo: BUDDYINFO.split('\n')[0] + '\n' })));
    expect(e.message).toBe('bi: expected a line for node 0 zone DMA32 (populated in zi), found none');
  });

  it('pagetypeinfo: another pageblock order, a CMA column, a missing type row, rows out of place', () => {
    let e = importError(() => parsePagetypeinfo(PAGETYPEINFO.replace('Page block order: 9', 'Page block order: 10'), 'pti'));
    expect(e.message).toBe('pti:1: expected "Page block order: 9" (pagelab models pageblock_order 9), found "Page block order: 10"');
    const h = lineOf(PAGETYPEINFO, (l) => l.startsWith('Number of blocks type'));
    e = importError(() => parsePagetypeinfo(replaceLine(PAGETYPEINFO, h, 'Number of blocks type     Unmovable      Movable  Reclaimable   HighAtomic          CMA      Isolate '), 'pti'));
    expect(e.line).toBe(h);
    expect(e.expected).toBe('the 5 migratetypes of a kernel without CMA (Unmovable Movable Reclaimable HighAtomic Isolate)');
    const r = lineOf(PAGETYPEINFO, (l) => l.includes('DMA32, type  Reclaimable'));
    e = importError(() => parsePagetypeinfo(PAGETYPEINFO.split('\n').filter((_, i) => i + 1 !== r).join('\n'), 'pti'));
    expect(e.message).toBe(`pti:${lineOf(PAGETYPEINFO, (l) => l.includes('DMA32, type    Unmovable'))}: expected a free-count row for every migratetype of node 0 zone DMA32, found no Reclaimable row`);
    e = importError(() => parsePagetypeinfo('Node 0, zone      DMA            1            7            0            0            0 \n', 'pti'));
    expect(e.message).toMatch(/^pti:1: expected a block-count row only after the "Number of blocks type" header, found "Node 0, zone {6}DMA {12}1 /);
    const b = lineOf(PAGETYPEINFO, (l) => l.startsWith('Node 0, zone    DMA32 '));
    e = importError(() => parseProcfsState(files({ pagetypeinfo: replaceLine(PAGETYPEINFO, b, 'Node 0, zone    DMA32           21          476            6            0            0 ') })));
    expect(e.message).toBe(`pti:${b}: expected 504 pageblocks for node 0 zone DMA32 (258013 spanned pages from pfn 4096 in steps of 512), found 503`);
  });

  it('ignores the page_owner mixed-block section', () => {
    const mixed = PAGETYPEINFO + '\nNumber of mixed blocks     Unmovable      Movable  Reclaimable   HighAtomic      Isolate \nNode 0, zone      DMA            1            0            0            0            0 \n';
    expect(parsePagetypeinfo(mixed, 'pti')).toEqual(parsePagetypeinfo(PAGETYPEINFO, 'pti'));
  });
});

describe('state.json', () => {
  it('reads back what realStateJson writes, and rejects another version', () => {
    const s = parseHarnessRun(fixtureText('c-oom.3.json'), 'c.json', 'kalloc_order4');
    const text = realStateJson(s);
    expect(parseRealStateJson(text, 'state.json')).toEqual(s);
    const e = importError(() => parseRealStateJson(text.replace('"version": 1', '"version": 2'), 'state.json'));
    expect(e.message).toBe('state.json:3: version: expected version 1, found "2"');
  });

  it('reads a file written before the LRU pages were recorded: they are unknown (null)', () => {
    const s = parseHarnessRun(fixtureText('c-oom.3.json'), 'c.json', 'kalloc_order4');
    expect(s.zones[1]!.lruPages).toBeGreaterThan(0);
    const old = realStateJson(s).replace(/,\n\s*"lruPages": (\d+|null)/g, '');
    expect(old).not.toContain('lruPages');
    expect(parseRealStateJson(old, 'state.json').zones.map((z) => z.lruPages)).toEqual([null, null, null, null, null]);
    const bad = importError(() => parseRealStateJson(realStateJson(s).replace(/"lruPages": \d+/, '"lruPages": "many"'), 'state.json'));
    expect(bad.field).toBe('zones[0].lruPages');
  });
});
