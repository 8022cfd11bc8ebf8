/** describePage(): every page names its owner; checkUserInvariants() catches broken state. */
import { describe, expect, it } from 'vitest';
import { InvariantError } from '../../../src/mm/debug_vm.js';
import { checkUserInvariants } from '../../../src/mm/debug_vm_users.js';
import { describePage } from '../../../src/mm/describe_page.js';
import { createFile, fileRead } from '../../../src/mm/file.js';
import { filemapGetFolio } from '../../../src/mm/filemap.js';
import { GFP_KERNEL } from '../../../src/mm/gfp.js';
import { createMm, mmap, munmap, touch } from '../../../src/mm/memory.js';
import { PG_lru } from '../../../src/mm/page_flags.js';
import { ShmemInode, shmemWrite } from '../../../src/mm/shmem.js';
import { kmemCacheAlloc, kmemCacheCreate } from '../../../src/mm/slab.js';
import { swapon } from '../../../src/mm/swapfile.js';
import { NodeStat } from '../../../src/mm/vmstat.js';
import { boot, check, pageoutSwapBacked } from './helpers.js';

describe('describePage', () => {
  it('names anon, THP, shmem, file, swap-cache, kernel, free and reserved pages', () => {
    const k = boot();
    swapon(k, 16);
    const mm = createMm(k, { pid: 101, comm: 'bash' });
    const start = mmap(k, mm, 4, { nohugepage: true });
    touch(k, mm, start, 2, true);
    const anon = mm.pte.get(start + 1)!;
    expect(describePage(k, anon)).toBe(`anon bash[101] vpn 0x${(start + 1).toString(16)}`);
    mmap(k, mm, 512, { at: 0x40000 });
    touch(k, mm, 0x40000, 1, true);
    const thp = mm.pte.get(0x40000)!;
    expect(describePage(k, thp)).toBe('anon bash[101] vpn 0x40000 thp');
    expect(describePage(k, thp + 3)).toBe('anon bash[101] vpn 0x40003 thp +3');

    const obj = k.owners.register(new ShmemInode('i915-obj-7'));
    shmemWrite(k, obj, 3, 2);
    expect(describePage(k, filemapGetFolio(obj, 3))).toBe('shmem i915-obj-7 index 3');
    const f = createFile(k, 'data.db');
    fileRead(k, f, 12, 1);
    expect(describePage(k, filemapGetFolio(f, 12))).toBe('file data.db index 12');

    const out = filemapGetFolio(obj, 4);
    pageoutSwapBacked(k, out, obj);
    expect(describePage(k, out)).toBe('swapcache entry 0x1');
    pageoutSwapBacked(k, anon, null);
    expect(describePage(k, anon)).toBe(`anon bash[101] vpn 0x${(start + 1).toString(16)} swapcache 0x2`);

    const c = kmemCacheCreate(k, 'kmalloc-4k', 4096);
    kmemCacheAlloc(k, c);
    const slab = [...c.slabs.keys()][0]!;
    expect(describePage(k, slab)).toBe('kernel kmalloc-4k');
    expect(describePage(k, slab + 5)).toBe('kernel kmalloc-4k +5');

    const raw = k.alloc.allocPages(GFP_KERNEL, 0);
    expect(describePage(k, raw)).toBe('allocated');
    k.putPage(raw);
    expect(describePage(k, raw)).toBe('free');
    const zone = k.alloc.zoneById.find((z) => z && z.spanned)!;
    expect(describePage(k, zone.startSlot + k.mem.pfnBase)).toMatch(/^(reserved|hole|free|allocated)$/);
    expect(describePage(k, -5)).toBe('invalid');
    check(k);
    munmap(k, mm, start, 4);
    check(k);
  });
});

describe('checkUserInvariants catches', () => {
  it('a counter that drifts', () => {
    const k = boot();
    const mm = createMm(k, { pid: 1, comm: 'init' });
    touch(k, mm, mmap(k, mm, 3, { nohugepage: true }), 3, true);
    checkUserInvariants(k);
    k.nodeStats[0]!.values[NodeStat.NR_ANON_PAGES]! += 1;
    expect(() => checkUserInvariants(k)).toThrow(InvariantError);
  });

  it('a page that lost its PTE, and a page on the wrong list', () => {
    const k = boot();
    const mm = createMm(k, { pid: 1, comm: 'init' });
    const start = mmap(k, mm, 2, { nohugepage: true });
    touch(k, mm, start, 2, true);
    const p = mm.pte.get(start)!;
    mm.pte.delete(start);
    expect(() => checkUserInvariants(k)).toThrow(/not mapped at vpn/);
    mm.pte.set(start, p);
    k.mem.flags[k.slot(p)]! &= ~PG_lru;
    expect(() => checkUserInvariants(k)).toThrow(/without PG_lru/);
  });

  it('a swap slot with a stale count', () => {
    const k = boot();
    const si = swapon(k, 8);
    si.swapMap[3] = 1;
    si.inusePages++;
    expect(() => checkUserInvariants(k)).toThrow(/swap slot 3/);
  });
});
