/**
 * Importing a real machine's physical-memory state. Parsers for the text of /proc/zoneinfo,
 * /proc/buddyinfo and /proc/pagetypeinfo as Linux 6.1 prints them (mm/vmstat.c), and for the
 * JSON of the QEMU validation harness (memscen, /work/shared/validation), into one RealState:
 * the machine's geometry (zones), its sysctls and CPU count, and per zone the free blocks per
 * (order, migratetype) and the pageblocks per migratetype.
 *
 * Every problem is an ImportError naming the file, the line (when there is one) and what was
 * expected there. This module takes text and file names only (browser-safe); reading files
 * belongs to the CLI.
 */
import { DEFAULT_SYSCTLS } from '../machine/config.js';
import { InputError } from '../machine/input_error.js';
import {
  MAX_NR_ZONES, MAX_ORDER, MIGRATE_TYPES, MIGRATETYPE_NAMES, MigrateType, PAGEBLOCK_NR_PAGES, PAGEBLOCK_ORDER,
  ZONE_NAMES, type ZoneName,
} from '../mm/constants.js';
import { PAGETYPEINFO_FREE_CAP } from '../mm/procfs.js';
import { multFrac } from '../mm/zone.js';

// ---------------------------------------------------------------------------------------------
// The common result

export const REAL_STATE_FORMAT = 'pagelab-real-state';
export const REAL_STATE_VERSION = 1;

/** How a sysctl value was obtained. */
export type SysctlSource = 'recorded' | 'derived' | 'default';

export interface RealSysctls {
  minFreeKbytes: number;
  watermarkScaleFactor: number;
  watermarkBoostFactor: number;
  /** vm.lowmem_reserve_ratio per zone index (DMA, DMA32, Normal, Movable, Device). */
  lowmemReserveRatio: [number, number, number, number, number];
  percpuPagelistHighFraction: number;
  /** Where each value came from: the recording, derived from other numbers, or pagelab's default. */
  sources: {
    minFreeKbytes: SysctlSource;
    watermarkScaleFactor: SysctlSource;
    watermarkBoostFactor: SysctlSource;
    lowmemReserveRatio: SysctlSource;
    percpuPagelistHighFraction: SysctlSource;
  };
}

/** One zone as the kernel reported it. Unpopulated zones are kept (zoneinfo prints them). */
export interface RealZone {
  nid: number;
  name: ZoneName;
  /** zone_start_pfn (0 for an unpopulated zone, whose start zoneinfo does not print). */
  startPfn: number;
  spanned: number;
  present: number;
  managed: number;
  /** Watermarks as /proc/zoneinfo prints them: _watermark[] plus watermark_boost. */
  min: number;
  low: number;
  high: number;
  /** watermark_boost */
  boost: number;
  /** lowmem_reserve[MAX_NR_ZONES] ("protection:"). */
  protection: number[];
  /** /proc/buddyinfo: free_area[order].nr_free (zeros for an unpopulated zone). */
  nrFree: number[];
  /** /proc/pagetypeinfo free section: blocks on free_list[mt] of each order, freeByType[mt][order]. */
  freeByType: number[][];
  /**
   * Cells pagetypeinfo printed as ">100000" (its list walk stops there), as [mt, order]. Their
   * freeByType value is resolved from buddyinfo when one cell of the order is capped.
   */
  capped: [number, number][];
  /** /proc/pagetypeinfo block-count section: pageblocks per migratetype. */
  pageblocks: number[];
  /**
   * Pages on the zone's LRU lists (nr_zone_inactive_anon + nr_zone_active_anon +
   * nr_zone_inactive_file + nr_zone_active_file + nr_zone_unevictable): its user memory
   * (anon, shmem, page cache), which compaction can move. null when not recorded.
   */
  lruPages: number | null;
}

/** The per-zone counters whose sum is a zone's LRU pages (zoneinfo and vmstat names). */
export const ZONE_LRU_COUNTERS = ['nr_zone_inactive_anon', 'nr_zone_active_anon', 'nr_zone_inactive_file', 'nr_zone_active_file', 'nr_zone_unevictable'] as const;

export interface RealStateSource {
  kind: 'procfs' | 'harness';
  /** The files the state was read from, as named to the parser. */
  files: string[];
  /** Harness runs: the phase imported. */
  phase: string | null;
  scenario: string | null;
  kernelRelease: string | null;
  /**
   * Harness runs: memscen's settle step (drop_caches, then compact_memory) ran right before the
   * phase was recorded (its info.settled, the boot phase of a run with settle=1). Absent: no.
   */
  settled?: boolean;
}

export interface RealState {
  format: typeof REAL_STATE_FORMAT;
  version: typeof REAL_STATE_VERSION;
  source: RealStateSource;
  cpus: number;
  /** CONFIG_TRANSPARENT_HUGEPAGE (null when unknown) and the sysfs modes when recorded. */
  thp: { configured: boolean | null; enabled: string | null; defrag: string | null };
  sysctl: RealSysctls;
  /** Every zone of every node, nodes in order, zones in zone-index order. */
  zones: RealZone[];
  /** What the import noticed and how it dealt with it (mismatches, derived values). */
  notes: string[];
}

// ---------------------------------------------------------------------------------------------
// Errors

/** A problem in an imported file, located in it. */
export class ImportError extends InputError {
  override readonly name: string = 'ImportError';
}

const MAX_FOUND = 70;

/** How a line or value reads in a message. */
function shown(text: string): string {
  const t = text.length > MAX_FOUND ? `${text.slice(0, MAX_FOUND - 3)}...` : text;
  return JSON.stringify(t);
}

/** A text file as lines, with 1-based numbers. A trailing newline does not make a last empty line. */
function linesOf(text: string): string[] {
  const lines = text.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
}

function zoneIndex(name: string): number {
  return (ZONE_NAMES as readonly string[]).indexOf(name);
}

const ZONE_NAME_EXPECT = `a zone name of Debian's 6.1 config (${ZONE_NAMES.join(', ')})`;

function toInt(s: string): number {
  return Number.parseInt(s, 10);
}

const zeros = (n: number): number[] => new Array<number>(n).fill(0);

// ---------------------------------------------------------------------------------------------
// /proc/zoneinfo (zoneinfo_show_print)

export interface ZoneinfoZone {
  nid: number;
  name: ZoneName;
  /** 1-based line of the "Node N, zone NAME" header. */
  line: number;
  /** null when not printed (unpopulated zones). */
  startPfn: number | null;
  pagesFree: number;
  boost: number;
  min: number;
  low: number;
  high: number;
  spanned: number;
  present: number;
  managed: number;
  protection: number[];
  /** Number of "cpu:" entries under pagesets (0 for an unpopulated zone). */
  cpus: number;
  /** The sum of the zone's LRU counters (ZONE_LRU_COUNTERS), null when it prints none of them. */
  lruPages: number | null;
}

const ZI = {
  head: /^Node (\d+), zone +(\S+)$/,
  perNode: /^ +per-node stats$/,
  pagesFree: /^ +pages free +(\d+)$/,
  wmark: /^ +(boost|min|low|high|spanned|present|managed|cma) +(\d+)$/,
  protection: /^ +protection: \((-?\d+(?:, -?\d+)*)\)$/,
  stat: /^ +([a-z][a-z0-9_]*) +(-?\d+)$/,
  pagesets: /^ +pagesets$/,
  cpu: /^ +cpu: +(\d+)$/,
  pcpField: /^ +(count|high|batch): +(-?\d+)$/,
  threshold: /^ +vm stats threshold: +(-?\d+)$/,
  unreclaimable: /^ +node_unreclaimable: +(\d+)$/,
  startPfn: /^ +start_pfn: +(\d+)$/,
} as const;

const ZONEINFO_LINE_EXPECT =
  'a /proc/zoneinfo line ("Node N, zone NAME", "pages free", "min", ..., "protection: (...)", a counter, "pagesets", "cpu: N", "start_pfn: N")';

/** Parse the text of /proc/zoneinfo (zoneinfo_show_print() of 6.1): every zone, populated or not. */
export function parseZoneinfo(text: string, file: string): ZoneinfoZone[] {
  const lines = linesOf(text);
  const zones: ZoneinfoZone[] = [];
  type ZoneDraft = {
    nid: number;
    name: ZoneName;
    line: number;
    fields: Map<string, number>;
    protection: number[] | null;
    startPfn: number | null;
    cpus: number;
    /** The zone's own counters (the "stats" part), by name. */
    stats: Map<string, number>;
    /** header: the "pages free".."protection" block; stats: counters; pagesets; tail: after start_pfn */
    part: 'pernode' | 'header' | 'stats' | 'pagesets' | 'tail';
  };
  let cur: ZoneDraft | null = null;
  const err = (n: number, expected: string, line: string): ImportError => new ImportError(file, n, '', expected, shown(line));

  const finish = (z: ZoneDraft): void => {
    const need = ['spanned', 'present', 'managed', 'min', 'low', 'high'];
    for (const key of need) {
      if (!z.fields.has(key)) {
        throw new ImportError(file, z.line, '', `a "${key}" line in zone ${z.name} of node ${z.nid}`, 'none before the next zone or the end of the file');
      }
    }
    if (z.protection === null) {
      throw new ImportError(file, z.line, '', `a "protection: (...)" line in zone ${z.name} of node ${z.nid}`, 'none');
    }
    const present = z.fields.get('present')!;
    if (present > 0 && z.startPfn === null) {
      throw new ImportError(file, z.line, '', `a "start_pfn:" line in populated zone ${z.name} of node ${z.nid}`, 'none');
    }
    if (present > 0 && z.cpus === 0) {
      throw new ImportError(file, z.line, '', `a "pagesets" section with "cpu:" entries in populated zone ${z.name} of node ${z.nid}`, 'none');
    }
    zones.push({
      nid: z.nid,
      name: z.name,
      line: z.line,
      startPfn: z.startPfn,
      pagesFree: z.fields.get('pages free') ?? 0,
      boost: z.fields.get('boost') ?? 0,
      min: z.fields.get('min')!,
      low: z.fields.get('low')!,
      high: z.fields.get('high')!,
      spanned: z.fields.get('spanned')!,
      present,
      managed: z.fields.get('managed')!,
      protection: z.protection,
      cpus: z.cpus,
      lruPages: ZONE_LRU_COUNTERS.some((c) => z.stats.has(c)) ? ZONE_LRU_COUNTERS.reduce((sum, c) => sum + (z.stats.get(c) ?? 0), 0) : null,
    });
  };

  for (let i = 0; i < lines.length; i++) {
    const n = i + 1;
    const line = lines[i]!;
    let m: RegExpExecArray | null;
    if ((m = ZI.head.exec(line))) {
      if (cur) finish(cur);
      const nid = toInt(m[1]!);
      const name = m[2]!;
      const idx = zoneIndex(name);
      if (idx < 0) throw err(n, ZONE_NAME_EXPECT, name);
      const prev = zones[zones.length - 1];
      if (prev && (nid < prev.nid || (nid === prev.nid && idx <= zoneIndex(prev.name)))) {
        throw new ImportError(file, n, '', `zones in node order and zone-index order (${ZONE_NAMES.join(', ')}), each once`, shown(line));
      }
      cur = { nid, name: name as ZoneName, line: n, fields: new Map(), protection: null, startPfn: null, cpus: 0, stats: new Map(), part: 'header' };
      continue;
    }
    if (cur === null) {
      if (line.trim() === '') continue;
      throw err(n, 'a zone header "Node N, zone NAME" (the first line of /proc/zoneinfo)', line);
    }
    if (line.trim() === '') continue;
    if (ZI.perNode.test(line) && cur.fields.size === 0) {
      cur.part = 'pernode';
      continue;
    }
    if ((m = ZI.pagesFree.exec(line)) && (cur.part === 'pernode' || cur.part === 'header') && cur.protection === null) {
      cur.part = 'header';
      cur.fields.set('pages free', toInt(m[1]!));
      continue;
    }
    if ((m = ZI.wmark.exec(line)) && cur.part === 'header' && cur.protection === null) {
      if (cur.fields.has(m[1]!)) throw err(n, `one "${m[1]!}" line per zone`, line);
      cur.fields.set(m[1]!, toInt(m[2]!));
      continue;
    }
    if ((m = ZI.protection.exec(line)) && cur.part === 'header') {
      if (cur.protection !== null) throw err(n, 'one "protection:" line per zone', line);
      const values = m[1]!.split(', ').map(toInt);
      if (values.length !== MAX_NR_ZONES) {
        throw err(n, `a protection tuple of ${MAX_NR_ZONES} values, one per zone of Debian's 6.1 config (${ZONE_NAMES.join(', ')})`, line);
      }
      cur.protection = values;
      cur.part = 'stats';
      continue;
    }
    if ((m = ZI.stat.exec(line)) && (cur.part === 'pernode' || cur.part === 'stats')) {
      if (cur.part === 'stats') cur.stats.set(m[1]!, toInt(m[2]!));
      continue;
    }
    if (ZI.pagesets.test(line) && cur.part === 'stats') {
      cur.part = 'pagesets';
      continue;
    }
    if (cur.part === 'pagesets') {
      if ((m = ZI.cpu.exec(line))) {
        cur.cpus++;
        continue;
      }
      if (ZI.pcpField.test(line) || ZI.threshold.test(line) || ZI.unreclaimable.test(line)) continue;
      if ((m = ZI.startPfn.exec(line))) {
        cur.startPfn = toInt(m[1]!);
        cur.part = 'tail';
        continue;
      }
    }
    if (cur.part === 'header' && cur.protection === null) {
      throw err(n, `the zone's "pages free", "boost", "min", "low", "high", "spanned", "present", "managed", "cma" or "protection: (...)" line`, line);
    }
    throw err(n, ZONEINFO_LINE_EXPECT, line);
  }
  if (cur) finish(cur);
  if (zones.length === 0) throw new ImportError(file, undefined, '', 'the zones of /proc/zoneinfo ("Node N, zone NAME" blocks)', 'an empty file');
  for (const z of zones) {
    if (z.present > z.spanned || z.managed > z.present) {
      throw new ImportError(file, z.line, '', `managed <= present <= spanned in zone ${z.name} of node ${z.nid}`,
        `spanned ${z.spanned}, present ${z.present}, managed ${z.managed}`);
    }
  }
  return zones;
}

// ---------------------------------------------------------------------------------------------
// /proc/buddyinfo (frag_show_print)

export interface BuddyinfoRow {
  nid: number;
  name: ZoneName;
  line: number;
  nrFree: number[];
}

const BUDDY_LINE = /^Node (\d+), zone +(\S+)((?: +\d+)+) *$/;

/** Parse the text of /proc/buddyinfo (frag_show_print()): one line per populated zone. */
export function parseBuddyinfo(text: string, file: string): BuddyinfoRow[] {
  const rows: BuddyinfoRow[] = [];
  const lines = linesOf(text);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '') continue;
    const m = BUDDY_LINE.exec(line);
    if (!m) throw new ImportError(file, i + 1, '', `a /proc/buddyinfo line "Node N, zone NAME" and ${MAX_ORDER} free-block counts (orders 0..${MAX_ORDER - 1})`, shown(line));
    const name = m[2]!;
    if (zoneIndex(name) < 0) throw new ImportError(file, i + 1, '', ZONE_NAME_EXPECT, shown(name));
    const counts = m[3]!.trim().split(/ +/).map(toInt);
    if (counts.length !== MAX_ORDER) {
      throw new ImportError(file, i + 1, '', `${MAX_ORDER} free-block counts (orders 0..${MAX_ORDER - 1}, MAX_ORDER ${MAX_ORDER})`, `${counts.length} counts`);
    }
    const nid = toInt(m[1]!);
    if (rows.some((r) => r.nid === nid && r.name === name)) {
      throw new ImportError(file, i + 1, '', `one line per zone`, `a second line for node ${nid} zone ${name}`);
    }
    rows.push({ nid, name: name as ZoneName, line: i + 1, nrFree: counts });
  }
  if (rows.length === 0) throw new ImportError(file, undefined, '', 'the lines of /proc/buddyinfo ("Node N, zone NAME" and counts)', 'an empty file');
  return rows;
}

// ---------------------------------------------------------------------------------------------
// /proc/pagetypeinfo (pagetypeinfo_show: showfree, showblockcount, showmixedcount)

export interface PagetypeinfoZone {
  nid: number;
  name: ZoneName;
  /** Line of the first free-count row of the zone. */
  line: number;
  /** freeByType[mt][order] as printed (a capped cell reads as 100000). */
  freeByType: number[][];
  capped: [number, number][];
  /** Rows of the free section seen, per migratetype. */
  typesSeen: boolean[];
  pageblocks: number[] | null;
  blocksLine: number | null;
}

const PTI = {
  order: /^Page block order: +(\d+)$/,
  perBlock: /^Pages per block: +(\d+)$/,
  freeHeader: /^Free pages count per migrate type at order((?: +\d+)+) *$/,
  freeRow: /^Node +(\d+), zone +(\S+), type +(\S+)((?: +>?\d+)+) *$/,
  blocksHeader: /^Number of blocks type +((?:\S+ *)+)$/,
  mixedHeader: /^Number of mixed blocks +((?:\S+ *)+)$/,
  countRow: /^Node (\d+), zone +(\S+)((?: +\d+)+) *$/,
} as const;

const TYPES_EXPECT = `the ${MIGRATE_TYPES} migratetypes of a kernel without CMA (${MIGRATETYPE_NAMES.join(' ')})`;

/** Parse the text of /proc/pagetypeinfo: the free-count section and the block-count section of every node. */
export function parsePagetypeinfo(text: string, file: string): PagetypeinfoZone[] {
  const lines = linesOf(text);
  const zones: PagetypeinfoZone[] = [];
  let section: 'none' | 'free' | 'blocks' | 'mixed' = 'none';
  const find = (nid: number, name: string): PagetypeinfoZone | undefined => zones.find((z) => z.nid === nid && z.name === name);
  for (let i = 0; i < lines.length; i++) {
    const n = i + 1;
    const line = lines[i]!;
    const err = (expected: string, found = shown(line)): ImportError => new ImportError(file, n, '', expected, found);
    if (line.trim() === '') continue;
    let m: RegExpExecArray | null;
    if ((m = PTI.order.exec(line))) {
      if (toInt(m[1]!) !== PAGEBLOCK_ORDER) throw err(`"Page block order: ${PAGEBLOCK_ORDER}" (pagelab models pageblock_order ${PAGEBLOCK_ORDER})`);
      section = 'none';
      continue;
    }
    if ((m = PTI.perBlock.exec(line))) {
      if (toInt(m[1]!) !== PAGEBLOCK_NR_PAGES) throw err(`"Pages per block:  ${PAGEBLOCK_NR_PAGES}"`);
      continue;
    }
    if ((m = PTI.freeHeader.exec(line))) {
      const orders = m[1]!.trim().split(/ +/).map(toInt);
      if (orders.length !== MAX_ORDER || orders.some((o, j) => o !== j)) {
        throw err(`the orders 0..${MAX_ORDER - 1} after "Free pages count per migrate type at order" (MAX_ORDER ${MAX_ORDER})`);
      }
      section = 'free';
      continue;
    }
    if ((m = PTI.blocksHeader.exec(line))) {
      const types = m[1]!.trim().split(/ +/);
      if (types.join(' ') !== MIGRATETYPE_NAMES.join(' ')) throw err(TYPES_EXPECT);
      section = 'blocks';
      continue;
    }
    if (PTI.mixedHeader.test(line)) {
      section = 'mixed'; // pagetypeinfo_showmixedcount() with page_owner=on: not imported
      continue;
    }
    if ((m = PTI.freeRow.exec(line))) {
      if (section !== 'free') throw err('a free-count row only after the "Free pages count per migrate type at order" header');
      const nid = toInt(m[1]!);
      const name = m[2]!;
      if (zoneIndex(name) < 0) throw err(ZONE_NAME_EXPECT, shown(name));
      const mt = (MIGRATETYPE_NAMES as readonly string[]).indexOf(m[3]!);
      if (mt < 0) throw err(TYPES_EXPECT, shown(m[3]!));
      const cells = m[4]!.trim().split(/ +/);
      if (cells.length !== MAX_ORDER) throw err(`${MAX_ORDER} free-block counts (orders 0..${MAX_ORDER - 1})`, `${cells.length} counts`);
      let z = find(nid, name);
      if (!z) {
        z = {
          nid, name: name as ZoneName, line: n, freeByType: Array.from({ length: MIGRATE_TYPES }, () => zeros(MAX_ORDER)),
          capped: [], typesSeen: new Array<boolean>(MIGRATE_TYPES).fill(false), pageblocks: null, blocksLine: null,
        };
        zones.push(z);
      }
      if (z.typesSeen[mt]) throw err('one free-count row per zone and migratetype', `a second ${m[3]!} row for node ${nid} zone ${name}`);
      z.typesSeen[mt] = true;
      cells.forEach((c, order) => {
        if (c.startsWith('>')) {
          const v = toInt(c.slice(1));
          if (v !== PAGETYPEINFO_FREE_CAP) throw err(`">${PAGETYPEINFO_FREE_CAP}" for a capped count`, shown(c));
          z.capped.push([mt, order]);
          z.freeByType[mt]![order] = v;
        } else {
          z.freeByType[mt]![order] = toInt(c);
        }
      });
      continue;
    }
    if ((m = PTI.countRow.exec(line))) {
      if (section === 'mixed') continue;
      if (section !== 'blocks') throw err('a block-count row only after the "Number of blocks type" header');
      const nid = toInt(m[1]!);
      const name = m[2]!;
      if (zoneIndex(name) < 0) throw err(ZONE_NAME_EXPECT, shown(name));
      const counts = m[3]!.trim().split(/ +/).map(toInt);
      if (counts.length !== MIGRATE_TYPES) throw err(`${MIGRATE_TYPES} pageblock counts (${MIGRATETYPE_NAMES.join(', ')})`, `${counts.length} counts`);
      const z = find(nid, name);
      if (!z) throw err(`a block-count row only for a zone listed in the free-count section`, `node ${nid} zone ${name}`);
      if (z.pageblocks !== null) throw err('one block-count row per zone', `a second row for node ${nid} zone ${name}`);
      z.pageblocks = counts;
      z.blocksLine = n;
      continue;
    }
    throw err(
      'a /proc/pagetypeinfo line ("Page block order: 9", "Pages per block:  512", the free-count header or a "Node N, zone NAME, type TYPE" row, the block-count header or a "Node N, zone NAME" row)',
    );
  }
  if (zones.length === 0) throw new ImportError(file, undefined, '', 'the free-count section of /proc/pagetypeinfo', 'no "Node N, zone NAME, type TYPE" rows');
  for (const z of zones) {
    const missing = z.typesSeen.findIndex((s) => !s);
    if (missing >= 0) throw new ImportError(file, z.line, '', `a free-count row for every migratetype of node ${z.nid} zone ${z.name}`, `no ${MIGRATETYPE_NAMES[missing]} row`);
    if (z.pageblocks === null) throw new ImportError(file, undefined, '', `a block-count row for node ${z.nid} zone ${z.name}`, 'none');
  }
  return zones;
}

// ---------------------------------------------------------------------------------------------
// Sysctls from the watermarks (for /proc text, which does not carry them)

/**
 * __setup_per_zone_wmarks() run backwards: the vm.min_free_kbytes (to a page: the kernel keeps
 * min_free_kbytes >> 2 pages) and vm.watermark_scale_factor that give every zone's recorded
 * min/low/high. null when no value reproduces them.
 */
export function deriveWatermarkSysctls(zones: readonly RealZone[]): { minFreeKbytes: number | null; watermarkScaleFactor: number | null } {
  let lowmemPages = 0;
  for (const z of zones) lowmemPages += z.managed;
  if (lowmemPages === 0) return { minFreeKbytes: null, watermarkScaleFactor: null };
  const mins = zones.map((z) => z.min - z.boost);
  const base = mins.reduce((a, b) => a + b, 0);
  let pagesMin: number | null = null;
  for (let p = base; p <= base + zones.length; p++) {
    if (zones.every((z, i) => Math.floor((p * z.managed) / lowmemPages) === mins[i])) {
      pagesMin = p;
      break;
    }
  }
  const wsfOk = (wsf: number): boolean =>
    zones.every((z, i) => {
      const tmp = mins[i]!;
      const gap = Math.max(tmp >> 2, multFrac(z.managed, wsf, 10000));
      return z.low - z.boost === tmp + gap && z.high - z.boost === tmp + 2 * gap;
    });
  let wsf: number | null = null;
  if (wsfOk(DEFAULT_SYSCTLS.watermarkScaleFactor)) wsf = DEFAULT_SYSCTLS.watermarkScaleFactor;
  else for (let w = 1; w <= 3000 && wsf === null; w++) if (wsfOk(w)) wsf = w;
  return { minFreeKbytes: pagesMin === null ? null : pagesMin * 4, watermarkScaleFactor: wsf };
}

// ---------------------------------------------------------------------------------------------
// Checks and fix-ups shared by both sources

/** Pageblocks pagetypeinfo_showblockcount_print() visits: from zone_start_pfn in pageblock steps. */
export function countedPageblocks(z: Pick<RealZone, 'spanned'>): number {
  return Math.ceil(z.spanned / PAGEBLOCK_NR_PAGES);
}

/** Free pages of the free lists that count in NR_FREE_PAGES (all but MIGRATE_ISOLATE). */
export function freePagesOf(z: Pick<RealZone, 'freeByType'>): number {
  let pages = 0;
  for (let mt = 0; mt < MIGRATE_TYPES; mt++) {
    if (mt === MigrateType.ISOLATE) continue;
    for (let o = 0; o < MAX_ORDER; o++) pages += z.freeByType[mt]![o]! << o;
  }
  return pages;
}

function allFreePages(z: RealZone): number {
  let pages = 0;
  for (let mt = 0; mt < MIGRATE_TYPES; mt++) for (let o = 0; o < MAX_ORDER; o++) pages += z.freeByType[mt]![o]! << o;
  return pages;
}

/**
 * Resolve capped pagetypeinfo cells from buddyinfo, note where buddyinfo and pagetypeinfo
 * disagree (they are read at different moments), and check each zone's numbers against its
 * geometry. `where` names the file (and line) to blame for each kind of problem.
 */
function finishZones(
  zones: RealZone[],
  notes: string[],
  where: { freeFile: string; freeLine(z: RealZone): number | undefined; blocksFile: string; blocksLine(z: RealZone): number | undefined; field(z: RealZone, part: string): string },
): void {
  for (const z of zones) {
    const label = `node ${z.nid} zone ${z.name}`;
    if (z.present === 0) continue;
    // Capped cells: one per order is exact from buddyinfo; several share the remainder.
    for (let o = 0; o < MAX_ORDER; o++) {
      const cells = z.capped.filter(([, order]) => order === o).map(([mt]) => mt);
      if (cells.length === 0) continue;
      let others = 0;
      for (let mt = 0; mt < MIGRATE_TYPES; mt++) if (!cells.includes(mt)) others += z.freeByType[mt]![o]!;
      const rest = z.nrFree[o]! - others - PAGETYPEINFO_FREE_CAP * (cells.length - 1);
      const last = cells.includes(MigrateType.MOVABLE) ? MigrateType.MOVABLE : cells[cells.length - 1]!;
      if (rest >= PAGETYPEINFO_FREE_CAP) {
        z.freeByType[last]![o] = rest;
        if (cells.length > 1) {
          notes.push(`${label}: order ${o} has ${cells.length} capped pagetypeinfo counts; ${cells.filter((c) => c !== last).map((c) => MIGRATETYPE_NAMES[c]).join(', ')} read as ${PAGETYPEINFO_FREE_CAP} and ${MIGRATETYPE_NAMES[last]} takes the rest of buddyinfo's ${z.nrFree[o]}`);
        }
      } else {
        notes.push(`${label}: order ${o}: pagetypeinfo printed >${PAGETYPEINFO_FREE_CAP} but buddyinfo's ${z.nrFree[o]} leaves less; the capped count reads as ${PAGETYPEINFO_FREE_CAP}`);
      }
    }
    const sums = zeros(MAX_ORDER).map((_, o) => z.freeByType.reduce((s, row) => s + row[o]!, 0));
    const diff = sums.map((s, o) => z.nrFree[o]! - s);
    if (diff.some((d) => d !== 0)) {
      const orders = diff.map((d, o) => (d !== 0 ? `${o} (buddyinfo ${z.nrFree[o]}, pagetypeinfo ${sums[o]})` : '')).filter((s) => s !== '');
      notes.push(`${label}: buddyinfo and pagetypeinfo disagree at order ${orders.join(', ')} (read at different moments); the import follows pagetypeinfo, so the re-rendered buddyinfo shows its per-type sums`);
    }
    const blocks = z.pageblocks.reduce((a, b) => a + b, 0);
    const want = countedPageblocks(z);
    if (blocks !== want) {
      throw new ImportError(where.blocksFile, where.blocksLine(z), where.field(z, 'blocks'),
        `${want} pageblocks for ${label} (${z.spanned} spanned pages from pfn ${z.startPfn} in steps of ${PAGEBLOCK_NR_PAGES})`, `${blocks}`);
    }
    const free = allFreePages(z);
    if (free > z.managed) {
      throw new ImportError(where.freeFile, where.freeLine(z), where.field(z, 'free'),
        `at most the zone's ${z.managed} managed pages free in ${label}`, `${free} free pages in the free lists`);
    }
  }
}

function defaultSources(): RealSysctls['sources'] {
  return {
    minFreeKbytes: 'default', watermarkScaleFactor: 'default', watermarkBoostFactor: 'default',
    lowmemReserveRatio: 'default', percpuPagelistHighFraction: 'default',
  };
}

function checkNodes(zones: RealZone[], file: string, notes: string[]): void {
  const nids = [...new Set(zones.filter((z) => z.present > 0).map((z) => z.nid))].sort((a, b) => a - b);
  if (nids.length === 0) throw new ImportError(file, undefined, '', 'at least one populated zone', 'none');
  const all = [...new Set(zones.map((z) => z.nid))];
  const empty = all.filter((n) => !nids.includes(n));
  if (empty.length > 0) notes.push(`memoryless node(s) ${empty.join(', ')} are left out of the machine`);
  nids.forEach((nid, i) => {
    if (nid !== i) {
      throw new ImportError(file, undefined, '', 'nodes with memory numbered 0, 1, 2, ... (pagelab machines number their nodes from 0 without gaps)', `nodes ${nids.join(', ')}`);
    }
  });
  for (const z of zones) {
    if (z.present > 0 && z.name === 'Device') {
      throw new ImportError(file, undefined, '', 'no populated ZONE_DEVICE (device memory is not modelled)', `node ${z.nid} zone Device with ${z.present} present pages`);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The three /proc files together

export interface ProcfsFiles {
  zoneinfo: { text: string; file: string };
  buddyinfo: { text: string; file: string };
  pagetypeinfo: { text: string; file: string };
}

/**
 * A RealState from the text of /proc/zoneinfo, /proc/buddyinfo and /proc/pagetypeinfo. The
 * sysctls are not in these files: min_free_kbytes and watermark_scale_factor are derived from
 * the watermarks, the others are pagelab's defaults (the notes say which).
 */
export function parseProcfsState(files: ProcfsFiles): RealState {
  const zi = parseZoneinfo(files.zoneinfo.text, files.zoneinfo.file);
  const bi = parseBuddyinfo(files.buddyinfo.text, files.buddyinfo.file);
  const pti = parsePagetypeinfo(files.pagetypeinfo.text, files.pagetypeinfo.file);
  const notes: string[] = [];

  const zones: RealZone[] = zi.map((z) => ({
    nid: z.nid,
    name: z.name,
    startPfn: z.startPfn ?? 0,
    spanned: z.spanned,
    present: z.present,
    managed: z.managed,
    min: z.min,
    low: z.low,
    high: z.high,
    boost: z.boost,
    protection: z.protection,
    nrFree: zeros(MAX_ORDER),
    freeByType: Array.from({ length: MIGRATE_TYPES }, () => zeros(MAX_ORDER)),
    capped: [],
    pageblocks: zeros(MIGRATE_TYPES),
    lruPages: z.lruPages,
  }));
  const zoneOf = (nid: number, name: string): RealZone | undefined => zones.find((z) => z.nid === nid && z.name === name);

  for (const row of bi) {
    const z = zoneOf(row.nid, row.name);
    if (!z || z.present === 0) {
      throw new ImportError(files.buddyinfo.file, row.line, '', `a line only for a populated zone of ${files.zoneinfo.file}`, `node ${row.nid} zone ${row.name}`);
    }
    z.nrFree = row.nrFree;
  }
  for (const pz of pti) {
    const z = zoneOf(pz.nid, pz.name);
    if (!z || z.present === 0) {
      throw new ImportError(files.pagetypeinfo.file, pz.line, '', `rows only for populated zones of ${files.zoneinfo.file}`, `node ${pz.nid} zone ${pz.name}`);
    }
    z.freeByType = pz.freeByType;
    z.capped = pz.capped;
    z.pageblocks = pz.pageblocks!;
  }
  for (const z of zones) {
    if (z.present === 0) continue;
    if (!bi.some((r) => r.nid === z.nid && r.name === z.name)) {
      throw new ImportError(files.buddyinfo.file, undefined, '', `a line for node ${z.nid} zone ${z.name} (populated in ${files.zoneinfo.file})`, 'none');
    }
    if (!pti.some((r) => r.nid === z.nid && r.name === z.name)) {
      throw new ImportError(files.pagetypeinfo.file, undefined, '', `rows for node ${z.nid} zone ${z.name} (populated in ${files.zoneinfo.file})`, 'none');
    }
  }
  checkNodes(zones, files.zoneinfo.file, notes);

  const populated = zi.filter((z) => z.present > 0);
  const cpus = Math.max(...populated.map((z) => z.cpus));
  if (populated.some((z) => z.cpus !== cpus)) notes.push(`zones list different numbers of pagesets; using ${cpus} cpus`);

  finishZones(zones, notes, {
    freeFile: files.pagetypeinfo.file,
    freeLine: (z) => pti.find((p) => p.nid === z.nid && p.name === z.name)?.line,
    blocksFile: files.pagetypeinfo.file,
    blocksLine: (z) => pti.find((p) => p.nid === z.nid && p.name === z.name)?.blocksLine ?? undefined,
    field: () => '',
  });

  const sources = defaultSources();
  const derived = deriveWatermarkSysctls(zones);
  let minFreeKbytes: number;
  if (derived.minFreeKbytes !== null) {
    minFreeKbytes = derived.minFreeKbytes;
    sources.minFreeKbytes = 'derived';
    notes.push(`min_free_kbytes ${minFreeKbytes} derived from the min watermarks (the kernel's value is ${minFreeKbytes}..${minFreeKbytes + 3}: it keeps min_free_kbytes >> 2 pages)`);
  } else {
    const sum = zones.reduce((s, z) => s + z.min - z.boost, 0);
    minFreeKbytes = sum * 4;
    notes.push(`no min_free_kbytes reproduces the min watermarks exactly; using ${minFreeKbytes} (the sum of the zones' min), the recorded watermarks are set after boot`);
  }
  let wsf = DEFAULT_SYSCTLS.watermarkScaleFactor;
  if (derived.watermarkScaleFactor !== null) {
    wsf = derived.watermarkScaleFactor;
    sources.watermarkScaleFactor = 'derived';
  } else {
    notes.push(`no watermark_scale_factor reproduces the low/high watermarks; using ${wsf}, the recorded watermarks are set after boot`);
  }
  notes.push(
    `watermark_boost_factor, lowmem_reserve_ratio and percpu_pagelist_high_fraction are not in /proc/zoneinfo: pagelab's defaults are used (the recorded protection is applied after boot)`,
  );

  return {
    format: REAL_STATE_FORMAT,
    version: REAL_STATE_VERSION,
    source: {
      kind: 'procfs',
      files: [files.zoneinfo.file, files.buddyinfo.file, files.pagetypeinfo.file],
      phase: null,
      scenario: null,
      kernelRelease: null,
    },
    cpus,
    thp: { configured: null, enabled: null, defrag: null },
    sysctl: {
      minFreeKbytes,
      watermarkScaleFactor: wsf,
      watermarkBoostFactor: DEFAULT_SYSCTLS.watermarkBoostFactor,
      lowmemReserveRatio: [...DEFAULT_SYSCTLS.lowmemReserveRatio],
      percpuPagelistHighFraction: DEFAULT_SYSCTLS.percpuPagelistHighFraction,
      sources,
    },
    zones,
    notes,
  };
}

// ---------------------------------------------------------------------------------------------
// JSON with line numbers

type JsonPath = readonly (string | number)[];

/** `['phases', 2, 'buddyinfo']` -> `phases[2].buddyinfo` */
export function formatJsonPath(path: JsonPath): string {
  let out = '';
  for (const seg of path) out += typeof seg === 'number' ? `[${seg}]` : out === '' ? seg : `.${seg}`;
  return out;
}

interface LocatedJson {
  value: unknown;
  /** 1-based line where the value at `path` starts (or its nearest existing ancestor). */
  lineOf(path: JsonPath): number | undefined;
}

/**
 * JSON.parse plus a scan that records where each value starts, so errors can name the line
 * even in pretty-printed files. A syntax error is an ImportError at its line.
 */
function parseJsonLocated(text: string, file: string): LocatedJson {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    // V8's messages do not always give the position: find it with the scanner.
    let where: JsonSyntaxError | null = null;
    try {
      scanJsonOffsets(text);
    } catch (se) {
      if (!(se instanceof JsonSyntaxError)) throw se;
      where = se;
    }
    if (where === null) throw new ImportError(file, undefined, '', 'valid JSON', shown(e instanceof Error ? e.message : String(e)));
    const found = where.offset >= text.length ? 'the end of the text' : shown(text.slice(where.offset, where.offset + 20));
    throw new ImportError(file, lineAt(text, where.offset), '', `valid JSON: ${where.expected}`, found);
  }
  let offsets: Map<string, number> | null = null;
  return {
    value,
    lineOf(path) {
      offsets ??= scanJsonOffsets(text);
      for (let n = path.length; n >= 0; n--) {
        const off = offsets.get(pathKey(path.slice(0, n)));
        if (off !== undefined) return lineAt(text, off);
      }
      return undefined;
    },
  };
}

function pathKey(path: JsonPath): string {
  return path.map(String).join('\u0001');
}

function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

class JsonSyntaxError extends Error {
  constructor(readonly offset: number, readonly expected: string) {
    super(`JSON syntax error at ${offset}: expected ${expected}`);
  }
}

const JSON_NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/** Check a JSON text (RFC 8259) and return the start offset of every value, by path. */
function scanJsonOffsets(text: string): Map<string, number> {
  const out = new Map<string, number>();
  let i = 0;
  const ws = (): void => {
    for (;;) {
      const c = text.charCodeAt(i);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++;
      else return;
    }
  };
  const expect = (ch: string, what: string): void => {
    if (text[i] !== ch) throw new JsonSyntaxError(i, what);
    i++;
  };
  const str = (): string => {
    const start = i;
    expect('"', 'a string');
    for (;;) {
      if (i >= text.length) throw new JsonSyntaxError(i, 'the closing quote of a string');
      const c = text.charCodeAt(i);
      if (c === 0x22) break;
      if (c < 0x20) throw new JsonSyntaxError(i, 'a character allowed in a string (control characters must be escaped)');
      if (c === 0x5c) {
        const esc = text[i + 1];
        if (esc === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) throw new JsonSyntaxError(i, 'four hex digits after \\u');
          i += 6;
        } else if (esc !== undefined && '"\\/bfnrt'.includes(esc)) {
          i += 2;
        } else {
          throw new JsonSyntaxError(i, 'a valid escape sequence');
        }
        continue;
      }
      i++;
    }
    i++;
    return JSON.parse(text.slice(start, i)) as string;
  };
  const val = (path: (string | number)[]): void => {
    ws();
    out.set(pathKey(path), i);
    const c = text[i];
    if (c === '{') {
      i++;
      ws();
      if (text[i] === '}') {
        i++;
        return;
      }
      for (;;) {
        ws();
        const key = str();
        ws();
        expect(':', "':' after an object key");
        path.push(key);
        val(path);
        path.pop();
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        expect('}', "',' or '}' after an object member");
        return;
      }
    } else if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') {
        i++;
        return;
      }
      for (let k = 0; ; k++) {
        path.push(k);
        val(path);
        path.pop();
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        expect(']', "',' or ']' after an array element");
        return;
      }
    } else if (c === '"') {
      str();
    } else if (text.startsWith('true', i)) {
      i += 4;
    } else if (text.startsWith('false', i)) {
      i += 5;
    } else if (text.startsWith('null', i)) {
      i += 4;
    } else {
      JSON_NUMBER.lastIndex = i;
      if (c === undefined || !JSON_NUMBER.test(text)) throw new JsonSyntaxError(i, 'a JSON value');
      i = JSON_NUMBER.lastIndex;
    }
  };
  val([]);
  ws();
  if (i < text.length) throw new JsonSyntaxError(i, 'the end of the JSON text');
  return out;
}

// ---------------------------------------------------------------------------------------------
// The validation harness's JSON (memscen format_version 1)

class JsonReader {
  constructor(readonly file: string, readonly located: LocatedJson | null) {}

  fail(path: JsonPath, expected: string, found: string): never {
    throw new ImportError(this.file, this.located?.lineOf(path), formatJsonPath(path), expected, found);
  }

  describe(v: unknown): string {
    if (v === undefined) return 'nothing';
    if (v === null) return 'null';
    if (Array.isArray(v)) return `a list of ${v.length}`;
    if (typeof v === 'object') return 'an object';
    return shown(String(v));
  }

  get(root: unknown, path: JsonPath): unknown {
    let cur = root;
    for (const seg of path) {
      if (typeof seg === 'number') cur = Array.isArray(cur) ? cur[seg] : undefined;
      else cur = typeof cur === 'object' && cur !== null && !Array.isArray(cur) ? (cur as Record<string, unknown>)[seg] : undefined;
    }
    return cur;
  }

  obj(root: unknown, path: JsonPath, what = 'an object'): Record<string, unknown> {
    const v = this.get(root, path);
    if (typeof v !== 'object' || v === null || Array.isArray(v)) this.fail(path, what, this.describe(v));
    return v as Record<string, unknown>;
  }

  arr(root: unknown, path: JsonPath, what: string): unknown[] {
    const v = this.get(root, path);
    if (!Array.isArray(v)) this.fail(path, what, this.describe(v));
    return v;
  }

  int(root: unknown, path: JsonPath, what = 'a whole number >= 0', min = 0): number {
    const v = this.get(root, path);
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) this.fail(path, what, this.describe(v));
    return v;
  }

  ints(root: unknown, path: JsonPath, n: number, what: string): number[] {
    const a = this.arr(root, path, what);
    if (a.length !== n) this.fail(path, what, this.describe(a));
    return a.map((_, k) => this.int(root, [...path, k], what));
  }

  str(root: unknown, path: JsonPath, what: string): string {
    const v = this.get(root, path);
    if (typeof v !== 'string') this.fail(path, what, this.describe(v));
    return v;
  }
}

/** The selected word of a sysfs choice file: "always madvise [never]" -> "never". */
function sysfsChoice(s: string): string | null {
  const m = /\[([^\]]+)\]/.exec(s);
  return m ? m[1]! : null;
}

/**
 * A RealState from one run of the validation harness (the JSON `run.sh` prints, as text or
 * already parsed) at the phase named `phase`.
 */
export function parseHarnessRun(json: unknown, file: string, phase = 'boot'): RealState {
  const located = typeof json === 'string' ? parseJsonLocated(json, file) : null;
  const root = located ? located.value : json;
  const r = new JsonReader(file, located);
  r.obj(root, [], 'a JSON object (the output of the validation harness)');
  const version = r.get(root, ['format_version']);
  if (version !== 1) r.fail(['format_version'], 'format_version 1 (memscen output)', r.describe(version));
  const pageSize = r.get(root, ['page_size']);
  if (pageSize !== undefined && pageSize !== 4096) r.fail(['page_size'], 'page_size 4096', r.describe(pageSize));
  const pbOrder = r.get(root, ['pageblock_order']);
  if (pbOrder !== undefined && pbOrder !== PAGEBLOCK_ORDER) r.fail(['pageblock_order'], `pageblock_order ${PAGEBLOCK_ORDER}`, r.describe(pbOrder));
  const cpus = r.int(root, ['nr_cpus'], 'the number of CPUs (a whole number >= 1)', 1);
  const notes: string[] = [];

  // Zones (from /proc/zoneinfo in the guest)
  const zoneList = r.arr(root, ['zones'], 'a list of zones');
  const zones: RealZone[] = zoneList.map((_, k) => {
    const p = ['zones', k];
    r.obj(root, p, 'a zone object');
    const nid = r.int(root, [...p, 'node']);
    const name = r.str(root, [...p, 'zone'], ZONE_NAME_EXPECT);
    if (zoneIndex(name) < 0) r.fail([...p, 'zone'], ZONE_NAME_EXPECT, shown(name));
    const spanned = r.int(root, [...p, 'spanned']);
    const present = r.int(root, [...p, 'present']);
    const managed = r.int(root, [...p, 'managed']);
    if (present > spanned) r.fail([...p, 'present'], `at most spanned (${spanned})`, `${present}`);
    if (managed > present) r.fail([...p, 'managed'], `at most present (${present})`, `${managed}`);
    const startPfn = present > 0 || r.get(root, [...p, 'start_pfn']) !== undefined ? r.int(root, [...p, 'start_pfn'], 'the zone start pfn') : 0;
    const protText = r.str(root, [...p, 'protection'], `a protection tuple "(a, b, c, d, e)"`);
    const pm = /^\((-?\d+(?:, -?\d+)*)\)$/.exec(protText);
    const protection = pm ? pm[1]!.split(', ').map(toInt) : [];
    if (protection.length !== MAX_NR_ZONES) r.fail([...p, 'protection'], `a protection tuple of ${MAX_NR_ZONES} values "(a, b, c, d, e)"`, shown(protText));
    const boost = r.get(root, [...p, 'boost']) === undefined ? 0 : r.int(root, [...p, 'boost']);
    return {
      nid,
      name: name as ZoneName,
      startPfn,
      spanned,
      present,
      managed,
      min: r.int(root, [...p, 'min']),
      low: r.int(root, [...p, 'low']),
      high: r.int(root, [...p, 'high']),
      boost,
      protection,
      nrFree: zeros(MAX_ORDER),
      freeByType: Array.from({ length: MIGRATE_TYPES }, () => zeros(MAX_ORDER)),
      capped: [],
      pageblocks: zeros(MIGRATE_TYPES),
      lruPages: null,
    };
  });
  zones.forEach((z, k) => {
    const prev = zones[k - 1];
    if (prev && (z.nid < prev.nid || (z.nid === prev.nid && zoneIndex(z.name) <= zoneIndex(prev.name)))) {
      r.fail(['zones', k], `zones in node order and zone-index order (${ZONE_NAMES.join(', ')}), each once`, `node ${z.nid} zone ${z.name} after node ${prev.nid} zone ${prev.name}`);
    }
  });
  checkNodes(zones, file, notes);

  // Sysctls (strings, as read from /proc/sys/vm)
  const sysctl = r.get(root, ['sysctl']) === undefined ? {} : r.obj(root, ['sysctl']);
  const sources = defaultSources();
  const sysInt = (key: string, fallback: number, min: number, source: keyof RealSysctls['sources']): number => {
    if (sysctl[key] === undefined) return fallback;
    const s = r.str(root, ['sysctl', key], 'the sysctl value as a string of digits');
    if (!/^\d+$/.test(s.trim()) || toInt(s) < min) r.fail(['sysctl', key], `a whole number >= ${min}`, shown(s));
    sources[source] = 'recorded';
    return toInt(s);
  };
  const minFreeRecorded = sysInt('min_free_kbytes', -1, 0, 'minFreeKbytes');
  const wsf = sysInt('watermark_scale_factor', DEFAULT_SYSCTLS.watermarkScaleFactor, 1, 'watermarkScaleFactor');
  const wbf = sysInt('watermark_boost_factor', DEFAULT_SYSCTLS.watermarkBoostFactor, 0, 'watermarkBoostFactor');
  const phf = sysInt('percpu_pagelist_high_fraction', DEFAULT_SYSCTLS.percpuPagelistHighFraction, 0, 'percpuPagelistHighFraction');
  let ratio: [number, number, number, number, number] = [...DEFAULT_SYSCTLS.lowmemReserveRatio];
  if (sysctl['lowmem_reserve_ratio'] !== undefined) {
    const s = r.str(root, ['sysctl', 'lowmem_reserve_ratio'], 'the lowmem_reserve_ratio values as a string');
    const parts = s.trim().split(/\s+/);
    if (parts.length !== MAX_NR_ZONES || parts.some((x) => !/^\d+$/.test(x))) {
      r.fail(['sysctl', 'lowmem_reserve_ratio'], `${MAX_NR_ZONES} whole numbers, one per zone`, shown(s));
    }
    const v = parts.map(toInt);
    ratio = [v[0]!, v[1]!, v[2]!, v[3]!, v[4]!];
    sources.lowmemReserveRatio = 'recorded';
  }
  let minFreeKbytes = minFreeRecorded;
  if (minFreeRecorded < 0) {
    const derived = deriveWatermarkSysctls(zones);
    minFreeKbytes = derived.minFreeKbytes ?? zones.reduce((s, z) => s + z.min - z.boost, 0) * 4;
    sources.minFreeKbytes = 'derived';
    notes.push(`min_free_kbytes is not recorded: ${minFreeKbytes} derived from the min watermarks`);
  }
  const thpEnabled = typeof sysctl['thp_enabled'] === 'string' ? sysfsChoice(sysctl['thp_enabled']) : null;
  const thpDefrag = typeof sysctl['thp_defrag'] === 'string' ? sysfsChoice(sysctl['thp_defrag']) : null;

  // The phase
  const phases = r.arr(root, ['phases'], 'a list of phases');
  const names = phases.map((_, k) => (typeof r.get(root, ['phases', k, 'name']) === 'string' ? (r.get(root, ['phases', k, 'name']) as string) : ''));
  const k = names.indexOf(phase);
  if (k < 0) r.fail(['phases'], `a phase named ${JSON.stringify(phase)} (the run has ${names.map((n) => JSON.stringify(n)).join(', ')})`, 'none');
  const pp = ['phases', k] as const;
  const buddy = r.obj(root, [...pp, 'buddyinfo'], 'buddyinfo: {node: {zone: [11 counts]}}');
  const ptiCapped = r.get(root, [...pp, 'pagetypeinfo', 'capped']) === true;
  const ptiZones = r.obj(root, [...pp, 'pagetypeinfo', 'zones'], 'pagetypeinfo.zones: {node: {zone: {free, blocks}}}');
  const countsWhat = `a list of ${MAX_ORDER} whole numbers (orders 0..${MAX_ORDER - 1})`;
  for (const nid of Object.keys(buddy)) {
    for (const zn of Object.keys(r.obj(root, [...pp, 'buddyinfo', nid]))) {
      const z = zones.find((x) => String(x.nid) === nid && x.name === zn);
      if (!z || z.present === 0) r.fail([...pp, 'buddyinfo', nid, zn], 'buddyinfo only for populated zones of "zones"', `node ${nid} zone ${zn}`);
    }
  }
  for (const nid of Object.keys(ptiZones)) {
    for (const zn of Object.keys(r.obj(root, [...pp, 'pagetypeinfo', 'zones', nid]))) {
      const z = zones.find((x) => String(x.nid) === nid && x.name === zn);
      if (!z || z.present === 0) r.fail([...pp, 'pagetypeinfo', 'zones', nid, zn], 'pagetypeinfo only for populated zones of "zones"', `node ${nid} zone ${zn}`);
    }
  }
  for (const z of zones) {
    if (z.present === 0) continue;
    const nid = String(z.nid);
    z.nrFree = r.ints(root, [...pp, 'buddyinfo', nid, z.name], MAX_ORDER, countsWhat);
    const zp = [...pp, 'pagetypeinfo', 'zones', nid, z.name];
    r.obj(root, zp, `the pagetypeinfo of node ${nid} zone ${z.name}`);
    const free = r.obj(root, [...zp, 'free'], `free blocks per migratetype {${MIGRATETYPE_NAMES.join(', ')}}`);
    const blocks = r.obj(root, [...zp, 'blocks'], `pageblocks per migratetype {${MIGRATETYPE_NAMES.join(', ')}}`);
    for (const key of [...Object.keys(free), ...Object.keys(blocks)]) {
      if (!(MIGRATETYPE_NAMES as readonly string[]).includes(key)) {
        r.fail([...zp, Object.hasOwn(free, key) ? 'free' : 'blocks', key], TYPES_EXPECT, shown(key));
      }
    }
    z.freeByType = MIGRATETYPE_NAMES.map((t) => r.ints(root, [...zp, 'free', t], MAX_ORDER, countsWhat));
    z.pageblocks = MIGRATETYPE_NAMES.map((t) => r.int(root, [...zp, 'blocks', t]));
    if (ptiCapped) {
      z.freeByType.forEach((row, mt) => row.forEach((v, o) => {
        if (v >= PAGETYPEINFO_FREE_CAP) z.capped.push([mt, o]);
      }));
    }
  }
  finishZones(zones, notes, {
    freeFile: file,
    freeLine: (z) => located?.lineOf([...pp, 'pagetypeinfo', 'zones', String(z.nid), z.name, 'free']),
    blocksFile: file,
    blocksLine: (z) => located?.lineOf([...pp, 'pagetypeinfo', 'zones', String(z.nid), z.name, 'blocks']),
    field: (z, part) => formatJsonPath([...pp, 'pagetypeinfo', 'zones', String(z.nid), z.name, part]),
  });

  harnessLruPages(r, root, [...pp, 'vmstat'], zones);

  const kernel = r.get(root, ['kernel', 'release']);
  const scenario = r.get(root, ['scenario']);
  return {
    format: REAL_STATE_FORMAT,
    version: REAL_STATE_VERSION,
    source: {
      kind: 'harness',
      files: [file],
      phase,
      scenario: typeof scenario === 'string' ? scenario : null,
      kernelRelease: typeof kernel === 'string' ? kernel : null,
      settled: r.get(root, [...pp, 'info', 'settled']) === true,
    },
    cpus,
    // The harness reads THP's sysfs files, which exist only with CONFIG_TRANSPARENT_HUGEPAGE.
    thp: { configured: thpEnabled !== null ? true : null, enabled: thpEnabled, defrag: thpDefrag },
    sysctl: {
      minFreeKbytes,
      watermarkScaleFactor: wsf,
      watermarkBoostFactor: wbf,
      lowmemReserveRatio: ratio,
      percpuPagelistHighFraction: phf,
      sources,
    },
    zones,
    notes,
  };
}

/**
 * The LRU pages of each zone from a harness phase's vmstat, which has only the sums over all
 * zones: split over the populated zones in proportion to their allocated (managed, not free)
 * pages. Left null when the phase records no vmstat.
 */
function harnessLruPages(r: JsonReader, root: unknown, path: JsonPath, zones: RealZone[]): void {
  if (r.get(root, path) === undefined) return;
  r.obj(root, path, 'the vmstat counters of the phase');
  if (ZONE_LRU_COUNTERS.every((c) => r.get(root, [...path, c]) === undefined)) return;
  const total = ZONE_LRU_COUNTERS.reduce((sum, c) => sum + (r.get(root, [...path, c]) === undefined ? 0 : r.int(root, [...path, c])), 0);
  const populated = zones.filter((z) => z.present > 0);
  const used = populated.map((z) => Math.max(0, z.managed - freePagesOf(z)));
  const allUsed = used.reduce((a, b) => a + b, 0);
  let left = total;
  populated.forEach((z, i) => {
    const share = i === populated.length - 1 ? left : allUsed === 0 ? 0 : Math.round((total * used[i]!) / allUsed);
    z.lruPages = Math.min(used[i]!, Math.max(0, share));
    left -= share;
  });
}

// ---------------------------------------------------------------------------------------------
// state.json

/** Read back a state.json written by `pagelab import` (format pagelab-real-state, version 1). */
export function parseRealStateJson(text: string, file: string): RealState {
  const located = parseJsonLocated(text, file);
  const root = located.value;
  const r = new JsonReader(file, located);
  r.obj(root, [], 'a JSON object (a pagelab state.json)');
  if (r.get(root, ['format']) !== REAL_STATE_FORMAT) r.fail(['format'], JSON.stringify(REAL_STATE_FORMAT), r.describe(r.get(root, ['format'])));
  if (r.get(root, ['version']) !== REAL_STATE_VERSION) r.fail(['version'], `version ${REAL_STATE_VERSION}`, r.describe(r.get(root, ['version'])));
  r.int(root, ['cpus'], 'the number of CPUs (a whole number >= 1)', 1);
  r.obj(root, ['sysctl']);
  for (const key of ['minFreeKbytes', 'watermarkScaleFactor', 'watermarkBoostFactor', 'percpuPagelistHighFraction']) {
    r.int(root, ['sysctl', key]);
  }
  r.ints(root, ['sysctl', 'lowmemReserveRatio'], MAX_NR_ZONES, `${MAX_NR_ZONES} whole numbers`);
  r.obj(root, ['sysctl', 'sources']);
  r.obj(root, ['source']);
  r.obj(root, ['thp']);
  r.arr(root, ['notes'], 'a list of notes');
  const zones = r.arr(root, ['zones'], 'a list of zones');
  zones.forEach((_, k) => {
    const p = ['zones', k];
    const name = r.str(root, [...p, 'name'], ZONE_NAME_EXPECT);
    if (zoneIndex(name) < 0) r.fail([...p, 'name'], ZONE_NAME_EXPECT, shown(name));
    for (const key of ['nid', 'startPfn', 'spanned', 'present', 'managed', 'min', 'low', 'high', 'boost']) r.int(root, [...p, key]);
    r.ints(root, [...p, 'nrFree'], MAX_ORDER, `${MAX_ORDER} whole numbers`);
    r.ints(root, [...p, 'pageblocks'], MIGRATE_TYPES, `${MIGRATE_TYPES} whole numbers`);
    const prot = r.arr(root, [...p, 'protection'], `${MAX_NR_ZONES} numbers`);
    if (prot.length !== MAX_NR_ZONES || prot.some((v) => typeof v !== 'number')) r.fail([...p, 'protection'], `${MAX_NR_ZONES} numbers`, r.describe(prot));
    const fbt = r.arr(root, [...p, 'freeByType'], `${MIGRATE_TYPES} lists of ${MAX_ORDER} counts`);
    if (fbt.length !== MIGRATE_TYPES) r.fail([...p, 'freeByType'], `${MIGRATE_TYPES} lists of ${MAX_ORDER} counts`, r.describe(fbt));
    fbt.forEach((_, mt) => r.ints(root, [...p, 'freeByType', mt], MAX_ORDER, `${MAX_ORDER} whole numbers`));
    r.arr(root, [...p, 'capped'], 'a list of [migratetype, order] pairs');
    // Written since the import distinguished user from kernel memory; older files have none.
    const lru = r.get(root, [...p, 'lruPages']);
    if (lru === undefined) (r.get(root, p) as { lruPages: null }).lruPages = null;
    else if (lru !== null) r.int(root, [...p, 'lruPages']);
  });
  return root as RealState;
}
