/**
 * `npm run bench [-- --json]`: throughput of the page allocator's hot paths, memory per
 * simulated page, and boot time for a large machine. Figures only; nothing here asserts.
 */
import { DEFAULT_SYSCTLS, type MachineConfig } from '../src/machine/config.js';
import { defaultX86Layout } from '../src/machine/layout.js';
import { GFP_HIGHUSER_MOVABLE, GFP_KERNEL, __GFP_NORETRY } from '../src/mm/gfp.js';
import { bootMachine } from '../src/mm/mm_init.js';
import { AddressSpace, filemapAddFolio, filemapGetFolio, filemapRemoveFolio } from '../src/mm/filemap.js';
import { Kernel } from '../src/mm/kernel.js';
import { migrateFolio } from '../src/mm/migrate.js';
import { VmEvent } from '../src/mm/vmstat.js';
import { Prng } from '../src/sim/prng.js';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadScenario } from '../src/scenario/load.js';
import { runScenario } from '../src/scenario/runner.js';

const GiB = 1024 ** 3;

function zoneMachine(bytes: number, pcp: boolean): MachineConfig {
  const pages = bytes / 4096;
  return {
    cpus: 1, pcp, thp: true, sysctl: DEFAULT_SYSCTLS,
    nodes: [{ nid: 0, zones: [{ name: 'Normal', startPfn: 0x100000, spanned: pages, present: pages, managed: pages }] }],
  };
}

function seconds(t0: bigint): number {
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

/**
 * Steady-state churn: keep `live` blocks allocated; each step frees the oldest (FIFO ring) and
 * allocates a new one. One alloc or one free is one event.
 */
function churn(pcp: boolean, orders: Uint8Array, live: number, events: number): number {
  const { alloc } = bootMachine(zoneMachine(16 * GiB, pcp));
  const ringPfn = new Int32Array(live);
  const ringOrder = new Uint8Array(live);
  let oi = 0;
  const gfpFor = (i: number): number => (i & 7) === 0 ? GFP_KERNEL : GFP_HIGHUSER_MOVABLE;
  for (let i = 0; i < live; i++) {
    const o = orders[oi++ % orders.length]!;
    ringPfn[i] = alloc.allocPages(gfpFor(i), o);
    ringOrder[i] = o;
  }
  const steps = events >> 1;
  const t0 = process.hrtime.bigint();
  for (let i = 0, r = 0; i < steps; i++) {
    alloc.freePages(ringPfn[r]!, ringOrder[r]!);
    const o = orders[oi++ % orders.length]!;
    const pfn = alloc.allocPages(gfpFor(i), o);
    if (pfn < 0) throw new Error('bench: allocation failed');
    ringPfn[r] = pfn;
    ringOrder[r] = o;
    if (++r === live) r = 0;
  }
  return (steps * 2) / seconds(t0);
}

/**
 * compact_memory on a 16 GiB zone fragmented by the frag recipe (page cache filling memory,
 * 3/4 of every 2 MiB freed). Returns the throughput of the scanners (pfns scanned by both,
 * per second of the time spent in isolate_migratepages() and isolate_freepages() alone), the
 * throughput over the whole compaction (migration included), and its wall time.
 */
function compaction(): { scanPfnPerS: number; pfnPerS: number; seconds: number; migrated: number } {
  const k = new Kernel(zoneMachine(16 * GiB, true));
  const file = k.owners.register(new AddressSpace('file', 'frag', GFP_HIGHUSER_MOVABLE, { migrateFolio }));
  const zone = k.nodes[0]!.zones[2]!;
  let n = 0;
  while (zone.freePages > zone.wmarkPages(2) + 1024) {
    const pfn = k.alloc.allocPages(GFP_HIGHUSER_MOVABLE, 0);
    filemapAddFolio(k, file, pfn, n++);
    k.putPage(pfn);
  }
  for (let i = 0; i < n; i++) {
    const pfn = filemapGetFolio(file, i);
    if ((pfn & 511) < 384) filemapRemoveFolio(k, file, pfn);
  }
  k.alloc.drainAllPages();
  let scanNs = 0n;
  let scanStart = 0n;
  k.compaction.scanProbe = {
    start: () => void (scanStart = process.hrtime.bigint()),
    stop: () => void (scanNs += process.hrtime.bigint() - scanStart),
  };
  const t0 = process.hrtime.bigint();
  k.compaction.compactMemory();
  const s = seconds(t0);
  k.compaction.scanProbe = null;
  const ev = k.alloc.events;
  const scanned = ev.get(VmEvent.COMPACT_MIGRATE_SCANNED) + ev.get(VmEvent.COMPACT_FREE_SCANNED);
  return { scanPfnPerS: scanned / (Number(scanNs) / 1e9), pfnPerS: scanned / s, seconds: s, migrated: ev.get(VmEvent.PGMIGRATE_SUCCESS) };
}

/**
 * The scanners alone: compact_memory over a 16 GiB zone full of unmovable order-3 kernel
 * allocations, where every pfn is looked at and nothing can be isolated.
 */
function scanOnly(): number {
  const k = new Kernel({ ...zoneMachine(16 * GiB, false) });
  const zone = k.nodes[0]!.zones[2]!;
  while (zone.freePages > zone.wmarkPages(2) + 1024) if (k.alloc.allocPages(GFP_KERNEL | __GFP_NORETRY, 3) < 0) break;
  const t0 = process.hrtime.bigint();
  k.compaction.compactMemory();
  return k.alloc.events.get(VmEvent.COMPACT_MIGRATE_SCANNED) / seconds(t0);
}

/** Each shipped scenario's first variant, seed 1: simulated seconds per wall second and events/s. */
function scenarios(): Record<string, { sim_s_per_wall_s: number; events_per_s: number }> {
  const dir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'scenarios');
  const out: Record<string, { sim_s_per_wall_s: number; events_per_s: number }> = {};
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.yaml')).sort()) {
    const scenario = loadScenario(readFileSync(join(dir, f), 'utf8'), f);
    const t0 = process.hrtime.bigint();
    const r = runScenario(scenario, scenario.variants[0]!.name, 1);
    const wall = seconds(t0);
    out[scenario.name] = { sim_s_per_wall_s: r.durationNs / 1e9 / wall, events_per_s: (r.summary['sim_events'] ?? 0) / wall };
  }
  return out;
}

function main(): void {
  const json = process.argv.includes('--json');
  const prng = new Prng(42);
  const order0 = new Uint8Array(1);
  const mixed = new Uint8Array(1 << 16);
  // Orders 0..10, skewed toward small ones as real workloads are (each order half as likely as the one below).
  for (let i = 0; i < mixed.length; i++) {
    let o = 0;
    while (o < 10 && prng.nextU32() & 1) o++;
    mixed[i] = o;
  }
  const results = {
    order0_events_per_s_pcp: churn(true, order0, 200_000, 20_000_000),
    order0_events_per_s_nopcp: churn(false, order0, 200_000, 20_000_000),
    mixed_events_per_s_pcp: churn(true, mixed, 20_000, 10_000_000),
    mixed_events_per_s_nopcp: churn(false, mixed, 20_000, 10_000_000),
    bytes_per_page: 0,
    boot_64gib_seconds: 0,
    compaction_scan_only_pfn_per_s: 0,
    compaction_frag_scanners_pfn_per_s: 0,
    compaction_scan_pfn_per_s: 0,
    compact_memory_16gib_seconds: 0,
    compact_memory_16gib_migrated: 0,
  };
  results.compaction_scan_only_pfn_per_s = scanOnly();
  const perScenario = scenarios();
  const c = compaction();
  results.compaction_frag_scanners_pfn_per_s = c.scanPfnPerS;
  results.compaction_scan_pfn_per_s = c.pfnPerS;
  results.compact_memory_16gib_seconds = c.seconds;
  results.compact_memory_16gib_migrated = c.migrated;
  const t0 = process.hrtime.bigint();
  const big = bootMachine({ cpus: 8, pcp: true, thp: true, sysctl: DEFAULT_SYSCTLS, nodes: defaultX86Layout(64 * GiB) });
  results.boot_64gib_seconds = seconds(t0);
  results.bytes_per_page = big.alloc.mem.bytesPerPage();
  if (json) {
    process.stdout.write(JSON.stringify({ ...results, scenarios: perScenario }) + '\n');
    return;
  }
  const m = (x: number): string => `${(x / 1e6).toFixed(1)} M events/s (${(1e9 / x).toFixed(0)} ns each)`;
  process.stdout.write(
    [
      `order-0 alloc+free, 16 GiB zone, pcp on:    ${m(results.order0_events_per_s_pcp)}`,
      `order-0 alloc+free, 16 GiB zone, pcp off:   ${m(results.order0_events_per_s_nopcp)}`,
      `mixed orders 0-10, 16 GiB zone, pcp on:     ${m(results.mixed_events_per_s_pcp)}`,
      `mixed orders 0-10, 16 GiB zone, pcp off:    ${m(results.mixed_events_per_s_nopcp)}`,
      `bytes per simulated page:                   ${results.bytes_per_page.toFixed(2)}`,
      `boot a 64 GiB machine:                      ${results.boot_64gib_seconds.toFixed(3)} s`,
      `compaction scanners alone, 16 GiB:          ${(results.compaction_scan_only_pfn_per_s / 1e6).toFixed(1)} M pfn/s`,
      `compaction scanners, fragmented 16 GiB:     ${(results.compaction_frag_scanners_pfn_per_s / 1e6).toFixed(1)} M pfn/s (time in the scanners only)`,
      `compaction scan+migrate, fragmented 16 GiB: ${(results.compaction_scan_pfn_per_s / 1e6).toFixed(1)} M pfn/s`,
      `compact_memory, fragmented 16 GiB:          ${results.compact_memory_16gib_seconds.toFixed(3)} s, ${results.compact_memory_16gib_migrated} pages migrated (${((results.compact_memory_16gib_seconds * 1e9) / results.compact_memory_16gib_migrated).toFixed(0)} ns each)`,
      ...Object.entries(perScenario).map(
        ([name, v]) => `scenario ${name}:`.padEnd(44) + `${v.sim_s_per_wall_s.toFixed(1)} simulated s per s, ${(v.events_per_s / 1e3).toFixed(0)} k events/s`,
      ),
    ].join('\n') + '\n',
  );
}

main();
