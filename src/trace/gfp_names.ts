/**
 * GFP flags as the 6.1 kernel prints them in trace events: show_gfp_flags() from
 * include/trace/events/mmflags.h, which is __print_flags() over __def_gfpflag_names, rendered
 * by trace_print_flags_seq() (kernel/trace/trace_output.c). Config: x86-64 Debian, no
 * CONFIG_KASAN_HW_TAGS (so the __GFP_SKIP_* entries are not in the table) and no LOCKDEP.
 */
import {
  GFP_ATOMIC,
  GFP_DMA,
  GFP_DMA32,
  GFP_HIGHUSER,
  GFP_HIGHUSER_MOVABLE,
  GFP_KERNEL,
  GFP_KERNEL_ACCOUNT,
  GFP_NOFS,
  GFP_NOIO,
  GFP_NOWAIT,
  GFP_TRANSHUGE,
  GFP_TRANSHUGE_LIGHT,
  GFP_USER,
  __GFP_ACCOUNT,
  __GFP_ATOMIC,
  __GFP_COMP,
  __GFP_DIRECT_RECLAIM,
  __GFP_FS,
  __GFP_HARDWALL,
  __GFP_HIGH,
  __GFP_HIGHMEM,
  __GFP_IO,
  __GFP_KSWAPD_RECLAIM,
  __GFP_MEMALLOC,
  __GFP_MOVABLE,
  __GFP_NOFAIL,
  __GFP_NOMEMALLOC,
  __GFP_NORETRY,
  __GFP_NOWARN,
  __GFP_RECLAIM,
  __GFP_RECLAIMABLE,
  __GFP_RETRY_MAYFAIL,
  __GFP_THISNODE,
  __GFP_WRITE,
  __GFP_ZERO,
  __GFP_ZEROTAGS,
} from '../mm/gfp.js';

/** One `{mask, name}` entry of __def_gfpflag_names. */
export interface GfpFlagName {
  readonly mask: number;
  readonly name: string;
}

/** __def_gfpflag_names in table order (composites first, so they win over their bits). */
export const GFP_FLAG_NAMES: readonly GfpFlagName[] = [
  { mask: GFP_TRANSHUGE, name: 'GFP_TRANSHUGE' },
  { mask: GFP_TRANSHUGE_LIGHT, name: 'GFP_TRANSHUGE_LIGHT' },
  { mask: GFP_HIGHUSER_MOVABLE, name: 'GFP_HIGHUSER_MOVABLE' },
  { mask: GFP_HIGHUSER, name: 'GFP_HIGHUSER' },
  { mask: GFP_USER, name: 'GFP_USER' },
  { mask: GFP_KERNEL_ACCOUNT, name: 'GFP_KERNEL_ACCOUNT' },
  { mask: GFP_KERNEL, name: 'GFP_KERNEL' },
  { mask: GFP_NOFS, name: 'GFP_NOFS' },
  { mask: GFP_ATOMIC, name: 'GFP_ATOMIC' },
  { mask: GFP_NOIO, name: 'GFP_NOIO' },
  { mask: GFP_NOWAIT, name: 'GFP_NOWAIT' },
  { mask: GFP_DMA, name: 'GFP_DMA' },
  { mask: __GFP_HIGHMEM, name: '__GFP_HIGHMEM' },
  { mask: GFP_DMA32, name: 'GFP_DMA32' },
  { mask: __GFP_HIGH, name: '__GFP_HIGH' },
  { mask: __GFP_ATOMIC, name: '__GFP_ATOMIC' },
  { mask: __GFP_IO, name: '__GFP_IO' },
  { mask: __GFP_FS, name: '__GFP_FS' },
  { mask: __GFP_NOWARN, name: '__GFP_NOWARN' },
  { mask: __GFP_RETRY_MAYFAIL, name: '__GFP_RETRY_MAYFAIL' },
  { mask: __GFP_NOFAIL, name: '__GFP_NOFAIL' },
  { mask: __GFP_NORETRY, name: '__GFP_NORETRY' },
  { mask: __GFP_COMP, name: '__GFP_COMP' },
  { mask: __GFP_ZERO, name: '__GFP_ZERO' },
  { mask: __GFP_NOMEMALLOC, name: '__GFP_NOMEMALLOC' },
  { mask: __GFP_MEMALLOC, name: '__GFP_MEMALLOC' },
  { mask: __GFP_HARDWALL, name: '__GFP_HARDWALL' },
  { mask: __GFP_THISNODE, name: '__GFP_THISNODE' },
  { mask: __GFP_RECLAIMABLE, name: '__GFP_RECLAIMABLE' },
  { mask: __GFP_MOVABLE, name: '__GFP_MOVABLE' },
  { mask: __GFP_ACCOUNT, name: '__GFP_ACCOUNT' },
  { mask: __GFP_WRITE, name: '__GFP_WRITE' },
  { mask: __GFP_RECLAIM, name: '__GFP_RECLAIM' },
  { mask: __GFP_DIRECT_RECLAIM, name: '__GFP_DIRECT_RECLAIM' },
  { mask: __GFP_KSWAPD_RECLAIM, name: '__GFP_KSWAPD_RECLAIM' },
  { mask: __GFP_ZEROTAGS, name: '__GFP_ZEROTAGS' },
];

/** Union of every bit a table entry names (0xffffff in this config). */
export const GFP_NAMED_BITS: number = GFP_FLAG_NAMES.reduce((acc, e) => acc | e.mask, 0) >>> 0;

const NAME_TO_MASK: ReadonlyMap<string, number> = new Map(GFP_FLAG_NAMES.map((e) => [e.name, e.mask]));

/** The simulator uses a handful of distinct masks, so memoising the rendering pays off. */
const showCache = new Map<number, string>();
const SHOW_CACHE_LIMIT = 4096;

/**
 * show_gfp_flags(): `none` for 0, else the names of the table entries whose whole mask is
 * set, in table order, each clearing its bits, joined by `|`; bits no entry covers follow as
 * `0x%lx` (with a `|` only if a name came before). Takes the low 32 bits (gfp_t is 32-bit).
 */
export function showGfpFlags(gfp: number): string {
  let flags = gfp >>> 0;
  if (flags === 0) return 'none';
  const cached = showCache.get(flags);
  if (cached !== undefined) return cached;
  const key = flags;

  let out = '';
  // trace_print_flags_seq: the loop stops as soon as no bits are left.
  for (let i = 0; i < GFP_FLAG_NAMES.length && flags !== 0; i++) {
    const e = GFP_FLAG_NAMES[i]!;
    if ((flags & e.mask) >>> 0 !== e.mask) continue;
    flags = (flags & ~e.mask) >>> 0;
    out = out === '' ? e.name : out + '|' + e.name;
  }
  if (flags !== 0) {
    const hex = '0x' + flags.toString(16);
    out = out === '' ? hex : out + '|' + hex;
  }

  if (showCache.size >= SHOW_CACHE_LIMIT) showCache.clear();
  showCache.set(key, out);
  return out;
}

/**
 * Inverse of showGfpFlags(): `none` -> 0, otherwise `|`-separated table names and `0x..` hex
 * leftovers, ORed together. Throws an Error naming the offending token for anything else.
 */
export function parseGfpFlags(text: string): number {
  const s = text.trim();
  if (s === 'none') return 0;
  if (s === '') throw new Error('empty gfp flags');
  let gfp = 0;
  for (const raw of s.split('|')) {
    const tok = raw.trim();
    const mask = NAME_TO_MASK.get(tok);
    if (mask !== undefined) {
      gfp |= mask;
      continue;
    }
    if (/^0x[0-9a-fA-F]{1,8}$/.test(tok)) {
      gfp |= parseInt(tok.slice(2), 16);
      continue;
    }
    throw new Error(tok === '' ? `empty gfp flag in "${s}"` : `unknown gfp flag "${tok}"`);
  }
  return gfp >>> 0;
}
