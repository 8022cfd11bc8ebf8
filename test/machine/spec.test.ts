import { readFileSync } from 'node:fs';
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { DEFAULT_SYSCTLS } from '../../src/machine/config.js';
import type { MachineConfig } from '../../src/machine/config.js';
import { defaultX86Layout } from '../../src/machine/layout.js';
import { formatSize, parseSize } from '../../src/machine/size.js';
import { SpecError, loadMachineSpec, parseMachineSpec } from '../../src/machine/spec.js';

const FILE = 'machines/x.yaml';

/** Load `text`, expect a SpecError, check its location, and return it for further checks. */
function specError(text: string, line: number | undefined, field: string): SpecError {
  let caught: unknown;
  try {
    loadMachineSpec(text, FILE);
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(SpecError);
  const err = caught as SpecError;
  expect(err.file).toBe(FILE);
  expect(err.line).toBe(line);
  expect(err.field).toBe(field);
  const where = line === undefined ? `${FILE}: ` : `${FILE}:${line}: `;
  expect(err.message.startsWith(where)).toBe(true);
  if (field !== '') {
    expect(err.message).toBe(`${where}${field}: expected ${err.expected}, found ${err.found}`);
  }
  return err;
}

const lines = (...ls: string[]): string => `${ls.join('\n')}\n`;

const MINIMAL = lines(
  'machine:',
  '  cpus: 1',
  '  pcp: false',
  '  zones:',
  '    - { name: Normal, start_pfn: 0x100000, pages: 262144 }',
);

describe('parseSize / formatSize', () => {
  it('parses plain numbers, hex and binary suffixes', () => {
    expect(parseSize(4096)).toBe(4096);
    expect(parseSize('4096')).toBe(4096);
    expect(parseSize('0x1000')).toBe(4096);
    expect(parseSize('0X1000')).toBe(4096);
    expect(parseSize('4KiB')).toBe(4096);
    expect(parseSize('4K')).toBe(4096);
    expect(parseSize('4k')).toBe(4096);
    expect(parseSize('512MiB')).toBe(512 * 2 ** 20);
    expect(parseSize('1GiB')).toBe(2 ** 30);
    expect(parseSize('16G')).toBe(16 * 2 ** 30);
    expect(parseSize('16GB')).toBe(16 * 2 ** 30);
    expect(parseSize('16GiB')).toBe(16 * 2 ** 30);
    expect(parseSize('2TiB')).toBe(2 * 2 ** 40);
    expect(parseSize('0x10M')).toBe(16 * 2 ** 20);
    expect(parseSize(' 1 GiB ')).toBe(2 ** 30);
    expect(parseSize('100B')).toBe(100);
    expect(parseSize('010')).toBe(10);
  });

  it('rejects anything else with a message naming the input', () => {
    for (const bad of ['', 'GiB', '1.5GiB', '-1', '1 GiBs', '1Q', '0x', 'ten', '1e3', '8EiB']) {
      expect(() => parseSize(bad)).toThrow(`invalid size ${JSON.stringify(bad)}`);
    }
    expect(() => parseSize(-1)).toThrow('invalid size -1');
    expect(() => parseSize(1.5)).toThrow('invalid size 1.5');
    expect(() => parseSize(2 ** 60)).toThrow(/invalid size/);
  });

  it('formats in the largest exact binary unit', () => {
    expect(formatSize(0)).toBe('0B');
    expect(formatSize(4096)).toBe('4KiB');
    expect(formatSize(2 ** 30)).toBe('1GiB');
    expect(formatSize(1536 * 2 ** 20)).toBe('1536MiB');
    expect(formatSize(4097)).toBe('4097B');
    expect(() => formatSize(-1)).toThrow();
  });

  it('formatSize output parses back to the same bytes', () => {
    fc.assert(
      fc.property(fc.maxSafeNat(), (n) => {
        expect(parseSize(formatSize(n))).toBe(n);
      }),
    );
  });
});

describe('defaultX86Layout', () => {
  it('1 GiB: DMA [1, 0x1000) and DMA32 [0x1000, 0x40000), no Normal', () => {
    expect(defaultX86Layout(2 ** 30)).toEqual([
      {
        nid: 0,
        zones: [
          { name: 'DMA', startPfn: 1, spanned: 4095, present: 4095, managed: 4095 },
          { name: 'DMA32', startPfn: 0x1000, spanned: 0x40000 - 0x1000, present: 0x3f000, managed: 0x3f000 },
        ],
      },
    ]);
  });

  it('16 GiB: DMA, DMA32 up to 4 GiB, Normal [0x100000, 0x400000)', () => {
    expect(defaultX86Layout(16 * 2 ** 30)).toEqual([
      {
        nid: 0,
        zones: [
          { name: 'DMA', startPfn: 1, spanned: 4095, present: 4095, managed: 4095 },
          { name: 'DMA32', startPfn: 0x1000, spanned: 0xff000, present: 0xff000, managed: 0xff000 },
          { name: 'Normal', startPfn: 0x100000, spanned: 0x300000, present: 0x300000, managed: 0x300000 },
        ],
      },
    ]);
  });

  it('exactly 4 GiB has no Normal zone; 32 MiB is the minimum', () => {
    expect(defaultX86Layout(4 * 2 ** 30)[0]?.zones.map((z) => [z.name, z.startPfn, z.spanned])).toEqual([
      ['DMA', 1, 4095],
      ['DMA32', 0x1000, 0xff000],
    ]);
    expect(defaultX86Layout(32 * 2 ** 20)[0]?.zones.map((z) => [z.name, z.startPfn, z.spanned])).toEqual([
      ['DMA', 1, 4095],
      ['DMA32', 0x1000, 0x1000],
    ]);
  });

  it('rejects too little memory and sizes that are not whole pages', () => {
    expect(() => defaultX86Layout(16 * 2 ** 20)).toThrow(/at least 32MiB/);
    expect(() => defaultX86Layout(2 ** 30 + 100)).toThrow(/multiple of 4KiB/);
  });
});

describe('loadMachineSpec: accepted specs', () => {
  it('the minimal example resolves to exact values with defaults filled in', () => {
    const expected: MachineConfig = {
      cpus: 1,
      pcp: false,
      thp: true,
      nodes: [{ nid: 0, zones: [{ name: 'Normal', startPfn: 0x100000, spanned: 262144, present: 262144, managed: 262144 }] }],
      sysctl: {
        minFreeKbytes: null,
        watermarkScaleFactor: 10,
        watermarkBoostFactor: 15000,
        lowmemReserveRatio: [256, 256, 32, 0, 0],
        percpuPagelistHighFraction: 0,
      },
    };
    expect(loadMachineSpec(MINIMAL, FILE)).toEqual(expected);
  });

  it('reads YAML 1.2 hex integers as numbers', () => {
    const cfg = loadMachineSpec(MINIMAL, FILE);
    expect(cfg.nodes[0]?.zones[0]?.startPfn).toBe(1048576);
    expect(typeof cfg.nodes[0]?.zones[0]?.startPfn).toBe('number');
  });

  it('all defaults: cpus 1, pcp on, thp on, kernel sysctl defaults', () => {
    const cfg = loadMachineSpec(lines('machine:', '  memory: 1GiB'), FILE);
    expect(cfg.cpus).toBe(1);
    expect(cfg.pcp).toBe(true);
    expect(cfg.thp).toBe(true);
    expect(cfg.sysctl).toEqual(DEFAULT_SYSCTLS);
    // The result must not share the defaults' array.
    expect(cfg.sysctl.lowmemReserveRatio).not.toBe(DEFAULT_SYSCTLS.lowmemReserveRatio);
  });

  it('size and pages describe the same zone; present and managed default down the chain', () => {
    const byPages = loadMachineSpec(lines('machine:', '  zones:', '    - { name: Normal, start_pfn: 0x100000, pages: 262144 }'), FILE);
    const bySize = loadMachineSpec(lines('machine:', '  zones:', '    - { name: Normal, start_pfn: 0x100000, size: 1GiB }'), FILE);
    const byHexSize = loadMachineSpec(lines('machine:', '  zones:', '    - { name: Normal, start_pfn: 0x100000, size: 0x40000000 }'), FILE);
    expect(bySize.nodes).toEqual(byPages.nodes);
    expect(byHexSize.nodes).toEqual(byPages.nodes);

    const partial = loadMachineSpec(
      lines('machine:', '  zones:', '    - { name: DMA32, start_pfn: 0x1000, size: 64MiB, present: 16000 }', '    - { name: Normal, start_pfn: 0x100000, pages: 4096, present: 4000, managed: 3900 }'),
      FILE,
    );
    expect(partial.nodes[0]?.zones).toEqual([
      { name: 'DMA32', startPfn: 0x1000, spanned: 16384, present: 16000, managed: 16000 },
      { name: 'Normal', startPfn: 0x100000, spanned: 4096, present: 4000, managed: 3900 },
    ]);
  });

  it('allows a zone start that is not pageblock aligned', () => {
    const cfg = loadMachineSpec(lines('machine:', '  zones:', '    - { name: Normal, start_pfn: 0x100001, pages: 1000 }'), FILE);
    expect(cfg.nodes[0]?.zones[0]?.startPfn).toBe(0x100001);
  });

  it('memory: uses the default x86-64 layout', () => {
    const cfg = loadMachineSpec(lines('machine:', '  cpus: 4', '  memory: 16GiB'), FILE);
    expect(cfg.nodes).toEqual(defaultX86Layout(16 * 2 ** 30));
    expect(loadMachineSpec(lines('machine:', '  memory: 4294967296'), FILE).nodes).toEqual(defaultX86Layout(2 ** 32));
  });

  it('nodes: ids are list indices, and zone order restarts per node', () => {
    const cfg = loadMachineSpec(
      lines(
        'machine:',
        '  nodes:',
        '    - zones:',
        '        - { name: DMA32, start_pfn: 0x1000, pages: 0xff000 }',
        '        - { name: Normal, start_pfn: 0x100000, pages: 0x40000 }',
        '    - zones:',
        '        - { name: Normal, start_pfn: 0x140000, pages: 0x40000 }',
        '        - { name: Movable, start_pfn: 0x180000, pages: 0x40000 }',
      ),
      FILE,
    );
    expect(cfg.nodes.map((n) => [n.nid, n.zones.map((z) => `${z.name}@${z.startPfn.toString(16)}+${z.spanned.toString(16)}`)])).toEqual([
      [0, ['DMA32@1000+ff000', 'Normal@100000+40000']],
      [1, ['Normal@140000+40000', 'Movable@180000+40000']],
    ]);
  });

  it('sysctls override the defaults one by one', () => {
    const cfg = loadMachineSpec(
      lines(
        'machine:',
        '  memory: 1GiB',
        '  thp: false',
        '  sysctl:',
        '    min_free_kbytes: 67584',
        '    watermark_scale_factor: 3000',
        '    watermark_boost_factor: 0',
        '    lowmem_reserve_ratio: [1, 2, 3, 4, 5]',
        '    percpu_pagelist_high_fraction: 8',
      ),
      FILE,
    );
    expect(cfg.thp).toBe(false);
    expect(cfg.sysctl).toEqual({
      minFreeKbytes: 67584,
      watermarkScaleFactor: 3000,
      watermarkBoostFactor: 0,
      lowmemReserveRatio: [1, 2, 3, 4, 5],
      percpuPagelistHighFraction: 8,
    });
    const some = loadMachineSpec(lines('machine:', '  memory: 1GiB', '  sysctl:', '    watermark_scale_factor: 100'), FILE);
    expect(some.sysctl).toEqual({ ...DEFAULT_SYSCTLS, watermarkScaleFactor: 100 });
  });

  it('parseMachineSpec accepts a plain value and reports errors without a line', () => {
    const cfg = parseMachineSpec({ machine: { memory: '1GiB', cpus: 2 } }, 'inline');
    expect(cfg.cpus).toBe(2);
    expect(cfg.nodes[0]?.zones.map((z) => z.name)).toEqual(['DMA', 'DMA32']);
    let caught: unknown;
    try {
      parseMachineSpec({ machine: { memory: '1GiB', cpus: 0 } }, 'inline');
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(SpecError);
    expect((caught as SpecError).line).toBeUndefined();
    expect((caught as SpecError).field).toBe('machine.cpus');
    expect((caught as SpecError).message).toBe('inline: machine.cpus: expected a whole number of CPUs from 1 to 1024, found 0');
  });
});

describe('machines/*.yaml', () => {
  const load = (name: string): MachineConfig =>
    loadMachineSpec(readFileSync(new URL(`../../machines/${name}`, import.meta.url), 'utf8'), `machines/${name}`);

  it('minimal.yaml is the minimal example', () => {
    expect(load('minimal.yaml')).toEqual(loadMachineSpec(MINIMAL, FILE));
  });

  it('x86-1g.yaml: 1 GiB, 2 cpus, pcp on', () => {
    const cfg = load('x86-1g.yaml');
    expect([cfg.cpus, cfg.pcp]).toEqual([2, true]);
    expect(cfg.nodes).toEqual(defaultX86Layout(2 ** 30));
  });

  it('x86-16g.yaml: 16 GiB, 4 cpus', () => {
    const cfg = load('x86-16g.yaml');
    expect(cfg.cpus).toBe(4);
    expect(cfg.nodes).toEqual(defaultX86Layout(16 * 2 ** 30));
  });
});

describe('loadMachineSpec: errors', () => {
  it('the message has file:line: field: expected ..., found "..."', () => {
    const err = specError(
      lines('machine:', '  cpus: 1', '  pcp: false', '  zones:', '', '    # a comment', '    - { name: Normal, start_pfn: 0x100000, pages: -5 }'),
      7,
      'machine.zones[0].pages',
    );
    expect(err.message).toBe(
      'machines/x.yaml:7: machine.zones[0].pages: expected a positive whole number of pages or a size such as 1GiB, found -5',
    );
  });

  it('unknown key', () => {
    const err = specError(lines('machine:', '  cpus: 1', '  pcpp: true', '  memory: 1GiB'), 3, 'machine.pcpp');
    expect(err.expected).toContain('pcp');
    expect(err.found).toBe('unknown key "pcpp" (did you mean "pcp"?)');
  });

  it('unknown keys inside zones, nodes, sysctl and at the top level', () => {
    expect(specError(lines('machine:', '  zones:', '    - { name: Normal, start_pfn: 0, pages: 5, spanned: 5 }'), 3, 'machine.zones[0].spanned').found).toContain(
      'unknown key "spanned"',
    );
    specError(lines('machine:', '  nodes:', '    - id: 0', '      zones: [{ name: Normal, start_pfn: 0, pages: 5 }]'), 3, 'machine.nodes[0].id');
    expect(specError(lines('machine:', '  memory: 1GiB', '  sysctl:', '    min_free_kbyte: 5'), 4, 'machine.sysctl.min_free_kbyte').found).toContain(
      'did you mean "min_free_kbytes"?',
    );
    specError(lines('machine:', '  memory: 1GiB', 'scenario: x'), 3, 'scenario');
  });

  it('YAML syntax errors carry the line', () => {
    const err = specError(lines('machine:', '  cpus: 1', '\tpcp: true', '  memory: 1GiB'), 3, '');
    expect(err.message).toBe('machines/x.yaml:3: invalid YAML: Tabs are not allowed as indentation');
    expect(err.expected).toBe('valid YAML');
    expect(specError(lines('machine:', '  memory: 1GiB', '  cpus: *n'), 3, '').message).toMatch(/^machines\/x\.yaml:3: invalid YAML: .*alias/i);
    expect(specError(lines('machine:', '  memory: 1GiB', '---', 'machine: {}'), 3, '').found).toMatch(/more than one document/);
    const dup = specError(lines('machine:', '  cpus: 1', '  cpus: 2', '  memory: 1GiB'), 3, '');
    expect(dup.message).toBe('machines/x.yaml:3: invalid YAML: Map keys must be unique');
  });

  it('the document must be a mapping with machine:', () => {
    expect(specError('', undefined, '').found).toBe('an empty document');
    expect(specError(lines('- 1', '- 2'), 1, '').found).toBe('a list of 2 entries');
    expect(specError(lines('machine:'), 1, 'machine').found).toBe('an empty value');
    expect(specError(lines('# nothing here', 'other: 1'), 2, 'other').found).toContain('unknown key');
    expect(specError(lines('machin:', '  memory: 1GiB'), 1, 'machin').found).toBe('unknown key "machin" (did you mean "machine"?)');
  });

  it('one of memory/zones/nodes is required', () => {
    const err = specError(lines('# no memory', 'machine:', '  cpus: 2'), 2, 'machine');
    expect(err.expected).toMatch(/one of memory, zones or nodes/);
    expect(err.expected).toMatch(/required/);
    expect(err.found).toBe('none of them');
  });

  it('memory must not be combined with zones or nodes', () => {
    const err = specError(
      lines('machine:', '  zones:', '    - { name: Normal, start_pfn: 0x100000, pages: 5 }', '  memory: 1GiB'),
      4,
      'machine.memory',
    );
    expect(err.found).toBe('memory together with zones');
    expect(specError(lines('machine:', '  memory: 1GiB', '  nodes:', '    - zones: [{ name: Normal, start_pfn: 0, pages: 5 }]'), 2, 'machine.memory').found).toBe(
      'memory together with nodes',
    );
  });

  it('zones and nodes are exclusive', () => {
    const err = specError(
      lines('machine:', '  zones:', '    - { name: Normal, start_pfn: 0x100000, pages: 5 }', '  nodes:', '    - zones: [{ name: Normal, start_pfn: 0, pages: 5 }]'),
      4,
      'machine.nodes',
    );
    expect(err.found).toBe('both zones and nodes');
  });

  it('memory must be a size of at least 32MiB in whole pages', () => {
    expect(specError(lines('machine:', '  memory: 16MiB'), 2, 'machine.memory').found).toBe('"16MiB"');
    expect(specError(lines('machine:', '  memory: 1073741825'), 2, 'machine.memory').expected).toMatch(/multiple of 4KiB/);
    expect(specError(lines('machine:', '  memory: lots'), 2, 'machine.memory').found).toBe('"lots"');
    expect(specError(lines('machine:', '  memory: [1]'), 2, 'machine.memory').found).toBe('a list of 1 entry');
  });

  it('zone names: DMA, DMA32, Normal, Movable only', () => {
    const err = specError(lines('machine:', '  zones:', '    - { name: HighMem, start_pfn: 0, pages: 5 }'), 3, 'machine.zones[0].name');
    expect(err.expected).toBe('a zone name: DMA, DMA32, Normal or Movable');
    expect(err.found).toBe('"HighMem"');
    const dev = specError(lines('machine:', '  zones:', '    - { name: Device, start_pfn: 0, pages: 5 }'), 3, 'machine.zones[0].name');
    expect(dev.expected).toMatch(/ZONE_DEVICE/);
    expect(dev.found).toBe('"Device"');
  });

  it('a missing zone name is reported at the zone', () => {
    const err = specError(lines('machine:', '  zones:', '    - start_pfn: 0', '      pages: 5'), 3, 'machine.zones[0].name');
    expect(err.found).toBe('nothing');
  });

  it('zones of a node in zone-index order', () => {
    const err = specError(
      lines('machine:', '  zones:', '    - { name: Normal, start_pfn: 0x100000, pages: 5 }', '    - { name: DMA32, start_pfn: 0x1000, pages: 5 }'),
      4,
      'machine.zones[1].name',
    );
    expect(err.expected).toMatch(/zone order/);
    expect(err.found).toBe('"DMA32" after "Normal"');
  });

  it('no duplicate zones in a node', () => {
    const err = specError(
      lines(
        'machine:',
        '  nodes:',
        '    - zones:',
        '        - { name: Normal, start_pfn: 0x100000, pages: 5 }',
        '        - { name: Normal, start_pfn: 0x200000, pages: 5 }',
      ),
      5,
      'machine.nodes[0].zones[1].name',
    );
    expect(err.expected).toMatch(/at most once/);
    expect(err.found).toBe('a second "Normal" zone');
  });

  it('zones of all nodes must not overlap', () => {
    const err = specError(
      lines(
        'machine:',
        '  nodes:',
        '    - zones:',
        '        - { name: Normal, start_pfn: 0x100000, pages: 0x1000 }',
        '    - zones:',
        '        - { name: Normal, start_pfn: 0x100800, pages: 0x1000 }',
      ),
      6,
      'machine.nodes[1].zones[0].start_pfn',
    );
    expect(err.expected).toBe('a pfn range not overlapping machine.nodes[0].zones[0] (Normal, pfns [0x100000, 0x101000))');
    expect(err.found).toBe('pfns [0x100800, 0x101800)');
    // Touching ranges are fine.
    expect(
      loadMachineSpec(
        lines('machine:', '  zones:', '    - { name: DMA32, start_pfn: 0x1000, pages: 0x1000 }', '    - { name: Normal, start_pfn: 0x2000, pages: 0x1000 }'),
        FILE,
      ).nodes[0]?.zones.length,
    ).toBe(2);
    // Overlap inside one node too.
    specError(
      lines('machine:', '  zones:', '    - { name: DMA32, start_pfn: 0x1000, pages: 0x2000 }', '    - { name: Normal, start_pfn: 0x2000, pages: 0x1000 }'),
      4,
      'machine.zones[1].start_pfn',
    );
  });

  it('pages must be a positive whole number', () => {
    expect(specError(lines('machine:', '  zones:', '    - { name: Normal, start_pfn: 0, pages: 0 }'), 3, 'machine.zones[0].pages').found).toBe('0');
    expect(specError(lines('machine:', '  zones:', '    - { name: Normal, start_pfn: 0, pages: 1.5 }'), 3, 'machine.zones[0].pages').found).toBe('1.5');
    const sized = specError(lines('machine:', '  zones:', '    - { name: Normal, start_pfn: 0, pages: 1GiB }'), 3, 'machine.zones[0].pages');
    expect(sized.expected).toMatch(/write size: instead of pages:/);
  });

  it('start_pfn must be >= 0', () => {
    const err = specError(lines('machine:', '  zones:', '    - name: Normal', '      start_pfn: -1', '      pages: 5'), 4, 'machine.zones[0].start_pfn');
    expect(err.expected).toMatch(/page frame number/);
    expect(err.found).toBe('-1');
  });

  it('size must be a multiple of 4096', () => {
    const err = specError(lines('machine:', '  zones:', '    - { name: Normal, start_pfn: 0, size: 1000 }'), 3, 'machine.zones[0].size');
    expect(err.expected).toMatch(/multiple of 4KiB/);
    expect(err.found).toBe('1000');
    expect(specError(lines('machine:', '  zones:', '    - { name: Normal, start_pfn: 0, size: 0 }'), 3, 'machine.zones[0].size').found).toBe('0');
  });

  it('exactly one of pages and size', () => {
    const both = specError(
      lines('machine:', '  zones:', '    - name: Normal', '      start_pfn: 0', '      pages: 5', '      size: 1GiB'),
      6,
      'machine.zones[0].size',
    );
    expect(both.found).toBe('both pages and size');
    const neither = specError(lines('machine:', '  zones:', '    - { name: Normal, start_pfn: 0 }'), 3, 'machine.zones[0]');
    expect(neither.expected).toMatch(/pages .* or size/);
    expect(neither.found).toBe('neither pages nor size');
  });

  it('present <= spanned and managed <= present', () => {
    const present = specError(lines('machine:', '  zones:', '    - { name: Normal, start_pfn: 0, pages: 5, present: 6 }'), 3, 'machine.zones[0].present');
    expect(present.expected).toBe("at most the zone's spanned pages (5)");
    expect(present.found).toBe('6');
    const managed = specError(
      lines('machine:', '  zones:', '    - { name: Normal, start_pfn: 0, pages: 5, present: 4,', '        managed: 5 }'),
      4,
      'machine.zones[0].managed',
    );
    expect(managed.expected).toBe("at most the zone's present pages (4)");
  });

  it('cpus is a whole number from 1 to 1024; pcp and thp are booleans', () => {
    expect(specError(lines('machine:', '  memory: 1GiB', '  cpus: 0'), 3, 'machine.cpus').found).toBe('0');
    expect(specError(lines('machine:', '  memory: 1GiB', '  cpus: 1025'), 3, 'machine.cpus').found).toBe('1025');
    const pcp = specError(lines('machine:', '  memory: 1GiB', '  pcp: yes'), 3, 'machine.pcp');
    expect(pcp.expected).toBe('true or false');
    expect(pcp.found).toBe('"yes"');
    specError(lines('machine:', '  memory: 1GiB', '  thp: 1'), 3, 'machine.thp');
  });

  it('zones and nodes must be non-empty lists', () => {
    expect(specError(lines('machine:', '  zones: []'), 2, 'machine.zones').found).toBe('a list of 0 entries');
    expect(specError(lines('machine:', '  nodes: []'), 2, 'machine.nodes').found).toBe('a list of 0 entries');
    expect(specError(lines('machine:', '  zones:', '    name: Normal'), 2, 'machine.zones').found).toBe('a mapping');
    expect(specError(lines('machine:', '  nodes:', '    - zones: []'), 3, 'machine.nodes[0].zones').found).toBe('a list of 0 entries');
  });

  it('sysctl ranges follow the kernel', () => {
    const base = ['machine:', '  memory: 1GiB', '  sysctl:'];
    expect(specError(lines(...base, '    watermark_scale_factor: 0'), 4, 'machine.sysctl.watermark_scale_factor').expected).toBe(
      'a whole number from 1 to 3000',
    );
    specError(lines(...base, '    watermark_scale_factor: 3001'), 4, 'machine.sysctl.watermark_scale_factor');
    specError(lines(...base, '    watermark_boost_factor: -1'), 4, 'machine.sysctl.watermark_boost_factor');
    specError(lines(...base, '    min_free_kbytes: -1'), 4, 'machine.sysctl.min_free_kbytes');
    const pph = specError(lines(...base, '    percpu_pagelist_high_fraction: 7'), 4, 'machine.sysctl.percpu_pagelist_high_fraction');
    expect(pph.expected).toMatch(/^0 or a whole number from 8/);
    expect(pph.found).toBe('7');
    const lrr = specError(lines(...base, '    lowmem_reserve_ratio: [256, 256, 32]'), 4, 'machine.sysctl.lowmem_reserve_ratio');
    expect(lrr.expected).toMatch(/5 whole numbers/);
    expect(lrr.found).toBe('a list of 3 entries');
    const entry = specError(
      lines(...base, '    lowmem_reserve_ratio:', '      - 256', '      - -1', '      - 32', '      - 0', '      - 0'),
      6,
      'machine.sysctl.lowmem_reserve_ratio[1]',
    );
    expect(entry.found).toBe('-1');
  });

  it('reports the first problem in the file', () => {
    const err = specError(
      lines('machine:', '  cpus: 0', '  zones:', '    - { name: Normal, start_pfn: 0x100000, pages: -5 }'),
      2,
      'machine.cpus',
    );
    expect(err.found).toBe('0');
  });
});
