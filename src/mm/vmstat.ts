/**
 * Counters named as in /proc/vmstat (include/linux/mmzone.h enum zone_stat_item,
 * include/linux/vm_event_item.h). Only the items pagelab models have an index here; the
 * renderer prints every other 6.1 item as 0.
 */
import { MAX_NR_ZONES, ZONE_NAMES } from './constants.js';

/** enum zone_stat_item (the modelled subset), kept per zone. */
export enum ZoneStat {
  NR_FREE_PAGES,
  NR_ZONE_INACTIVE_ANON,
  NR_ZONE_ACTIVE_ANON,
  NR_ZONE_INACTIVE_FILE,
  NR_ZONE_ACTIVE_FILE,
  NR_ZONE_UNEVICTABLE,
  NR_ZONE_WRITE_PENDING,
  NR_MLOCK,
}
export const ZONE_STAT_NAMES: readonly string[] = [
  'nr_free_pages',
  'nr_zone_inactive_anon',
  'nr_zone_active_anon',
  'nr_zone_inactive_file',
  'nr_zone_active_file',
  'nr_zone_unevictable',
  'nr_zone_write_pending',
  'nr_mlock',
];
export const NR_ZONE_STATS = ZONE_STAT_NAMES.length;

/** enum vm_event_item (the modelled subset), machine-wide. Zone-suffixed items are contiguous. */
export enum VmEvent {
  PGALLOC_DMA,
  PGALLOC_DMA32,
  PGALLOC_NORMAL,
  PGALLOC_MOVABLE,
  PGALLOC_DEVICE,
  PGFREE,
}
export const VM_EVENT_NAMES: readonly string[] = [
  ...ZONE_NAMES.map((z) => `pgalloc_${z.toLowerCase()}`),
  'pgfree',
];
export const NR_VM_EVENTS = VM_EVENT_NAMES.length;

if (VmEvent.PGFREE !== MAX_NR_ZONES) throw new Error('VmEvent zone items out of step with MAX_NR_ZONES');

/** Machine-wide event counters (count_vm_events). Float64 so they never wrap. */
export class VmEvents {
  readonly counts = new Float64Array(NR_VM_EVENTS);

  add(item: VmEvent, n: number): void {
    this.counts[item]! += n;
  }

  get(item: VmEvent): number {
    return this.counts[item]!;
  }

  toRecord(): Record<string, number> {
    const r: Record<string, number> = {};
    for (let i = 0; i < NR_VM_EVENTS; i++) r[VM_EVENT_NAMES[i]!] = this.counts[i]!;
    return r;
  }
}
