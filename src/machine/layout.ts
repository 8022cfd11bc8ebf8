/**
 * The default zone layout used when a machine spec gives only `memory:`.
 *
 * The zone boundaries are x86-64's: ZONE_DMA below 16 MiB (MAX_DMA_PFN), ZONE_DMA32 below 4 GiB
 * (MAX_DMA32_PFN), ZONE_Normal above (arch/x86/include/asm/dma.h, zone_sizes_init()).
 */
import { PAGE_SHIFT, PAGE_SIZE } from '../mm/constants.js';
import type { NodeConfig, ZoneConfig } from './config.js';
import { formatSize } from './size.js';

/** First pfn above ZONE_DMA: 16 MiB. */
export const MAX_DMA_PFN = 0x1000;
/** First pfn above ZONE_DMA32: 4 GiB. */
export const MAX_DMA32_PFN = 0x100000;
/** Smallest `memory:` the default layout accepts. */
export const MIN_DEFAULT_MEMORY_BYTES = 32 * 1024 * 1024;
/** Largest pfn + 1 a machine may have: 52 physical address bits (x86-64 with 5-level paging). */
export const MAX_PFN = 2 ** (52 - PAGE_SHIFT);

/**
 * One node of `totalBytes` of RAM with the x86-64 zone split. pfn 0 is reserved by the BIOS, so
 * ZONE_DMA spans [1, 0x1000); ZONE_DMA32 spans [0x1000, min(end, 0x100000)); ZONE_Normal spans
 * [0x100000, end) when end > 0x100000. Every zone is fully present and managed.
 * Throws a plain Error unless totalBytes is a multiple of 4 KiB and at least 32 MiB.
 */
export function defaultX86Layout(totalBytes: number): NodeConfig[] {
  if (!Number.isSafeInteger(totalBytes) || totalBytes < MIN_DEFAULT_MEMORY_BYTES) {
    throw new Error(
      `default x86-64 layout: memory must be at least ${formatSize(MIN_DEFAULT_MEMORY_BYTES)}, got ${String(totalBytes)} bytes`,
    );
  }
  if (totalBytes % PAGE_SIZE !== 0) {
    throw new Error(`default x86-64 layout: memory must be a multiple of 4KiB, got ${totalBytes} bytes`);
  }
  const end = totalBytes / PAGE_SIZE;
  if (end > MAX_PFN) {
    throw new Error(`default x86-64 layout: memory must be at most ${formatSize(MAX_PFN * PAGE_SIZE)}, got ${formatSize(totalBytes)}`);
  }
  // Simplification: RAM is one contiguous range from pfn 0; real x86 machines have the PCI hole below 4 GiB.
  const zones: ZoneConfig[] = [];
  const add = (name: ZoneConfig['name'], start: number, limit: number): void => {
    if (limit > start) {
      const pages = limit - start;
      zones.push({ name, startPfn: start, spanned: pages, present: pages, managed: pages });
    }
  };
  add('DMA', 1, Math.min(end, MAX_DMA_PFN));
  add('DMA32', MAX_DMA_PFN, Math.min(end, MAX_DMA32_PFN));
  add('Normal', MAX_DMA32_PFN, end);
  return [{ nid: 0, zones }];
}
