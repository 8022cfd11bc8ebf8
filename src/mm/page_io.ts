/**
 * Page I/O on the virtual clock (mm/page_io.c, the writeback half of mm/filemap.c and
 * mm/page-writeback.c): a page write sets PG_writeback and completes `latency` virtual ns
 * later, when folio_end_writeback() runs from the event queue; reads are synchronous for the
 * caller (the model returns their latency instead of advancing the clock).
 *
 * Block-layer accounting as submit_bio() does it: pgpgin/pgpgout count the bio's size; the
 * model counts them directly in KiB (PAGE_SIZE / 1024 per page), the unit /proc/vmstat prints
 * after the kernel's sectors / 2.
 */
import { PAGE_SIZE } from './constants.js';
import { type AddressSpace, folioEndWriteback, folioStartWriteback, type WritebackControl } from './filemap.js';
import type { Kernel } from './kernel.js';
import { PG_dirty, PG_writeback } from './page_flags.js';
import { folioFreeSwap, swapInfo } from './swapfile.js';
import { VmEvent } from './vmstat.js';

/** pgpgin/pgpgout units per page (KiB). */
export const KB_PER_PAGE = PAGE_SIZE / 1024;

/**
 * Writes in flight per kernel: pfn -> the token of its pending completion, and the batch of
 * writes that complete at the latest scheduled time. Writes submitted for the same completion
 * time share one clock event, as the pages of one bio complete together (end_bio_bh_io_sync /
 * end_swap_bio_write), instead of one event per page.
 */
interface InflightIo {
  seq: number;
  readonly byPfn: Map<number, number>;
  /** When each write in flight completes. */
  readonly dueNs: Map<number, number>;
  /** The batch still open for appending: its completion time, pfns and their tokens. */
  batchAt: number;
  batchPfns: number[];
  batchTokens: number[];
}
const inflight = new WeakMap<Kernel, InflightIo>();

function inflightOf(k: Kernel): InflightIo {
  let io = inflight.get(k);
  if (!io) {
    io = { seq: 0, byPfn: new Map(), dueNs: new Map(), batchAt: -1, batchPfns: [], batchTokens: [] };
    inflight.set(k, io);
  }
  return io;
}

/** Complete a batch: every write in it that was not already ended by folio_wait_writeback(). */
function completeBatch(k: Kernel, io: InflightIo, pfns: number[], tokens: number[]): void {
  if (io.batchPfns === pfns) io.batchAt = -1; // no more appends to a batch that has fired
  for (let i = 0; i < pfns.length; i++) {
    const pfn = pfns[i]!;
    if (io.byPfn.get(pfn) !== tokens[i]) continue; // completed early
    io.byPfn.delete(pfn);
    io.dueNs.delete(pfn);
    endWriteback(k, pfn);
  }
}

/** noop_dirty_folio(): set PG_dirty with no dirty accounting (shmem, swap cache). */
export function noopDirtyFolio(k: Kernel, _mapping: AddressSpace, pfn: number): boolean {
  const s = k.slot(pfn);
  if ((k.mem.flags[s]! & PG_dirty) !== 0) return false;
  k.mem.flags[s]! |= PG_dirty;
  return true;
}

/**
 * folio_end_writeback(): the PG_reclaim rotation (folio_rotate_reclaimable() +
 * lru_move_tail_fn(): a clean evictable folio on the LRU goes to the inactive tail so reclaim
 * frees it next, counting pgrotated), then clear PG_writeback.
 */
export function endWriteback(k: Kernel, pfn: number): void {
  if ((k.mem.flags[k.slot(pfn)]! & PG_writeback) === 0) return; // already ended by folioWaitWriteback()
  folioEndWriteback(k, pfn);
}

/**
 * Start writing a folio (set_page_writeback() + submit_bio(REQ_OP_WRITE)): PG_writeback now,
 * pgpgout counted, folio_end_writeback() `latencyNs` later on the clock.
 */
export function submitWrite(k: Kernel, pfn: number, latencyNs: number): void {
  if ((k.mem.flags[k.slot(pfn)]! & PG_writeback) !== 0) {
    // Writers wait for (or skip) a folio under writeback before ->writepage; writing it twice is a caller bug.
    throw new Error(`write of pfn 0x${pfn.toString(16)} while it is under writeback`);
  }
  folioStartWriteback(k, pfn);
  k.alloc.events.add(VmEvent.PGPGOUT, k.nrPages(pfn) * KB_PER_PAGE);
  const io = inflightOf(k);
  k.vmscan.waitForWriteback ??= () => waitForAllWriteback(k);
  const token = ++io.seq;
  io.byPfn.set(pfn, token);
  const at = k.clock.now + latencyNs;
  io.dueNs.set(pfn, at);
  if (at === io.batchAt) {
    io.batchPfns.push(pfn);
    io.batchTokens.push(token);
    return;
  }
  const pfns = [pfn];
  const tokens = [token];
  io.batchAt = at;
  io.batchPfns = pfns;
  io.batchTokens = tokens;
  k.clock.scheduleAt(at, () => completeBatch(k, io, pfns, tokens));
}

/**
 * folio_wait_writeback(). Simplification: the wait takes no virtual time; the write in flight
 * completes at once (its scheduled completion becomes a no-op). Returns the ns the wait would
 * have taken (what was left of the write's latency), for callers that charge it as a stall.
 */
export function folioWaitWriteback(k: Kernel, pfn: number): number {
  if ((k.mem.flags[k.slot(pfn)]! & PG_writeback) === 0) return 0;
  const io = inflightOf(k);
  const due = io.dueNs.get(pfn);
  io.byPfn.delete(pfn);
  io.dueNs.delete(pfn);
  endWriteback(k, pfn);
  return due === undefined ? 0 : Math.max(0, due - k.clock.now);
}

/**
 * Complete every write in flight now (reclaim_throttle(VMSCAN_THROTTLE_WRITEBACK) waking when
 * the I/O ends); returns how many. Simplification: the wait takes no virtual time.
 */
export function waitForAllWriteback(k: Kernel): number {
  const io = inflight.get(k);
  if (!io) return 0;
  const pfns = [...io.byPfn.keys()];
  for (const pfn of pfns) folioWaitWriteback(k, pfn);
  return pfns.length;
}

/** Writes still in flight (for tests and reports). */
export function writesInFlight(k: Kernel): number {
  return inflight.get(k)?.byPfn.size ?? 0;
}

/** Count a synchronous read of `nr` pages from a block device (submit_bio(REQ_OP_READ)). */
export function countPageRead(k: Kernel, nr: number): void {
  k.alloc.events.add(VmEvent.PGPGIN, nr * KB_PER_PAGE);
}

/**
 * swap_writepage(): if nothing refers to the slot any more, just drop the folio from the swap
 * cache (folio_free_swap()); otherwise __swap_writepage(): pswpout, PG_writeback, and the
 * write completes after the device's write latency. (zswap/frontswap is off by default.)
 */
export function swapWritepage(k: Kernel, pfn: number, _wbc: WritebackControl): number {
  k.mem.flags[k.slot(pfn)]! &= ~PG_dirty; // the caller's folio_clear_dirty_for_io(), if it has not (no accounting here)
  if (folioFreeSwap(k, pfn)) return 0;
  const si = swapInfo(k);
  if (!si) throw new Error('swap_writepage without a swap device');
  k.alloc.events.add(VmEvent.PSWPOUT, k.nrPages(pfn)); // count_swpout_vm_event() (no THP swap)
  submitWrite(k, pfn, si.writeLatencyNs);
  return 0;
}

/**
 * swap_readpage(), synchronous: pswpin and pgpgin counted, the page is uptodate on return.
 * Returns the device's read latency for the caller to account.
 */
export function swapReadpage(k: Kernel, pfn: number): number {
  const si = swapInfo(k);
  if (!si) throw new Error('swap_readpage without a swap device');
  k.alloc.events.add(VmEvent.PSWPIN, 1);
  countPageRead(k, k.nrPages(pfn));
  return si.readLatencyNs;
}
