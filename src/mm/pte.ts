/**
 * What a page-table entry of the model holds (mm.pte: vpn -> value), the encoding the
 * kernel spreads over pte_t, swp_entry_t and its non-swap entry types:
 *   value >= 0                 a present page: its pfn
 *   PTE_ZERO (-1)              the shared zero page (my_zero_pfn())
 *   -2 >= value > -2^40        a swap entry: swapEntryToValue(entry) (swap entries are >= 1)
 *   value <= -2^40             a migration entry for the pfn being migrated
 */
import { swapEntryToValue, valueToSwapEntry } from './filemap.js';

export const PTE_ZERO = -1;
const MIGRATION_BASE = 2 ** 40;

export function pteIsSwap(v: number): boolean {
  return v <= -2 && v > -MIGRATION_BASE;
}

/** swp_entry_to_pte() */
export function swapPte(entry: number): number {
  return swapEntryToValue(entry);
}

/** pte_to_swp_entry() */
export function pteSwapEntry(v: number): number {
  return valueToSwapEntry(v);
}

/** make_readable_migration_entry() for pfn. */
export function migrationPte(pfn: number): number {
  return -(MIGRATION_BASE + pfn);
}

export function pteIsMigration(v: number): boolean {
  return v <= -MIGRATION_BASE;
}

export function migrationPtePfn(v: number): number {
  return -v - MIGRATION_BASE;
}

/**
 * User address space in pages: page->index is 32 bits wide in the model's mem_map, so vpns
 * stay below 2^32 (16 TiB of address space, where x86-64 has 128 TiB). mmap_base sits at the
 * top, regions grow down from it.
 */
export const TASK_SIZE_PAGES = 2 ** 32;
