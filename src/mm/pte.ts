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

/** PTEs per page-table page (PTRS_PER_PTE), i.e. per PMD. */
const PTRS_PER_PTE = 512;

/** One page-table page: 512 entries, NaN for pte_none(), and how many are in use. */
interface PtePage {
  readonly e: Float64Array;
  n: number;
}

/**
 * The page tables of one mm (mm.pte: vpn -> value): 512-entry PTE pages, one per PMD as the
 * kernel's are (__pte_alloc() on first use, freed once empty), so a walk over a range looks up
 * one table per 2 MiB instead of one map entry per page. Map-like: get / set / delete / size /
 * keys / entries in (table creation, vpn) order.
 */
export class PageTable {
  private readonly pmds = new Map<number, PtePage>();
  /** The last table looked up (walks are sequential). */
  private lastIdx = -1;
  private last: PtePage | undefined;
  /** Entries in use. */
  size = 0;

  private table(idx: number): PtePage | undefined {
    if (idx === this.lastIdx) return this.last;
    const p = this.pmds.get(idx);
    this.lastIdx = idx;
    this.last = p;
    return p;
  }

  /** Whether the PMD covering vpn has a page table (pmd_none() otherwise). */
  hasTable(vpn: number): boolean {
    return this.table(Math.floor(vpn / PTRS_PER_PTE)) !== undefined;
  }

  has(vpn: number): boolean {
    return this.get(vpn) !== undefined;
  }

  get(vpn: number): number | undefined {
    const p = this.table(Math.floor(vpn / PTRS_PER_PTE));
    if (p === undefined) return undefined;
    const v = p.e[vpn % PTRS_PER_PTE]!;
    return v === v ? v : undefined;
  }

  set(vpn: number, v: number): this {
    const idx = Math.floor(vpn / PTRS_PER_PTE);
    let p = this.table(idx);
    if (p === undefined) {
      p = { e: new Float64Array(PTRS_PER_PTE).fill(NaN), n: 0 };
      this.pmds.set(idx, p);
      this.last = p;
    }
    const i = vpn % PTRS_PER_PTE;
    const old = p.e[i]!;
    if (old !== old) {
      p.n++;
      this.size++;
    }
    p.e[i] = v;
    return this;
  }

  delete(vpn: number): boolean {
    const idx = Math.floor(vpn / PTRS_PER_PTE);
    const p = this.table(idx);
    if (p === undefined) return false;
    const i = vpn % PTRS_PER_PTE;
    const old = p.e[i]!;
    if (old !== old) return false;
    p.e[i] = NaN;
    p.n--;
    this.size--;
    if (p.n === 0) {
      this.pmds.delete(idx);
      this.last = undefined;
    }
    return true;
  }

  *keys(): IterableIterator<number> {
    for (const [vpn] of this) yield vpn;
  }

  *[Symbol.iterator](): IterableIterator<[number, number]> {
    for (const [idx, p] of this.pmds) {
      for (let i = 0; i < PTRS_PER_PTE; i++) {
        const v = p.e[i]!;
        if (v === v) yield [idx * PTRS_PER_PTE + i, v];
      }
    }
  }
}
