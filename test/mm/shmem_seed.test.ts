/**
 * The seed patch's dispatch: shmem's migrate operation calls a registered driver hook with the
 * patch's arguments, and otherwise falls back to the generic migration. Exercised directly with
 * a fake new page, before page migration drives it.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { loadMachineSpec } from '../../src/machine/spec.js';
import { EAGAIN, EBUSY, MigrateMode, filemapAddFolio, filemapGetFolio, type AddressSpace } from '../../src/mm/filemap.js';
import { GFP_HIGHUSER_MOVABLE } from '../../src/mm/gfp.js';
import { Kernel } from '../../src/mm/kernel.js';
import {
  type ShmemDevInfo, ShmemInode, shmemAops, shmemGetDevInfo, shmemMigratepage, shmemSetDevInfo, shmemSetGemOps,
} from '../../src/mm/shmem.js';
import { folioIsolateLru } from '../../src/mm/lru.js';
import { checkInvariants } from '../../src/mm/debug_vm.js';
import { migrateFolio } from '../../src/mm/migrate.js';

const MACHINE = loadMachineSpec('machine:\n  cpus: 1\n  pcp: false\n  memory: 64MiB\n', 'm.yaml');

interface Call { mapping: AddressSpace; newpage: number; page: number; mode: MigrateMode; privateData: unknown }

let k: Kernel;
let inode: ShmemInode;
let page: number;
let newpage: number;

beforeEach(() => {
  k = new Kernel(MACHINE);
  inode = k.owners.register(new ShmemInode('i915-obj-1'));
  page = k.alloc.allocPages(inode.gfpMask, 0);
  filemapAddFolio(k, inode, page, 7);
  k.putPage(page); // the allocation's reference; the page cache keeps its own
  newpage = k.alloc.allocPages(GFP_HIGHUSER_MOVABLE, 0); // the "fake" destination page
  expect(folioIsolateLru(k, page)).toBe(true); // what migration would do first
});

describe('shmem_migratepage dispatch (the seed)', () => {
  it('is shmem_aops.migrateFolio', () => {
    expect(shmemAops.migrateFolio).toBe(shmemMigratepage);
    expect(inode.aops.migrateFolio).toBe(shmemMigratepage);
  });

  it('without a registration migrates generically: the cache slot and reference move to the new page', () => {
    expect(shmemMigratepage(k, inode, newpage, page, MigrateMode.SYNC_LIGHT)).toBe(0);
    expect(filemapGetFolio(inode, 7)).toBe(newpage);
    expect(k.mem.mapping[k.slot(newpage)]).toBe(inode.id);
    expect(k.mem.index[k.slot(newpage)]).toBe(7);
    expect(k.mem.refcount[k.slot(newpage)]).toBe(2); // its allocation ref + the cache's
    expect(k.mem.refcount[k.slot(page)]).toBe(1); // only the migrator's isolation ref is left
  });

  it('the generic path fails with -EAGAIN on an extra (pinning) reference and changes nothing', () => {
    k.getPage(page); // i915's pin
    expect(shmemMigratepage(k, inode, newpage, page, MigrateMode.SYNC)).toBe(-EAGAIN);
    expect(filemapGetFolio(inode, 7)).toBe(page);
    expect(k.mem.refcount[k.slot(page)]).toBe(3);
    expect(k.mem.mapping[k.slot(newpage)]).toBe(0);
    checkInvariants(k.alloc);
  });

  const STYLES = ['shmem_set_dev_info (patch v2)', 'container_of from mapping->private_data', 'gem_ops on the shmem inode'] as const;

  /** Register a recording hook in one of the three styles; every call lands in `calls`. */
  function register(style: (typeof STYLES)[number], calls: Call[], rc: number): void {
    const privateData = { obj: 'gem object 1' };
    const hook = (mapping: AddressSpace, np: number, p: number, mode: MigrateMode, pd: unknown): number => {
      calls.push({ mapping, newpage: np, page: p, mode, privateData: pd });
      return rc;
    };
    // container_of style: the driver object is itself the shmem_dev_info and finds itself from the mapping.
    class GemObject implements ShmemDevInfo {
      privateData = privateData;
      migratepage(mapping: AddressSpace, np: number, p: number, mode: MigrateMode): number {
        const self = shmemGetDevInfo(mapping) as GemObject;
        return hook(mapping, np, p, mode, self.privateData);
      }
    }
    inode.privateData = null;
    inode.gemOps = null;
    if (style === STYLES[0]) shmemSetDevInfo(inode, { privateData, migratepage: hook });
    else if (style === STYLES[1]) shmemSetDevInfo(inode, new GemObject());
    else shmemSetGemOps(inode, { privateData, migratepage: hook });
  }

  for (const rc of [0, -EBUSY, -EAGAIN]) {
    it(`all three registration styles dispatch identically (hook returns ${rc})`, () => {
      for (const style of STYLES) {
        const calls: Call[] = [];
        register(style, calls, rc);
        expect(shmemMigratepage(k, inode, newpage, page, MigrateMode.ASYNC), style).toBe(rc);
        expect(calls, style).toEqual([{ mapping: inode, newpage, page, mode: MigrateMode.ASYNC, privateData: { obj: 'gem object 1' } }]);
      }
      // The hook decides; shmem did not migrate behind its back.
      expect(filemapGetFolio(inode, 7)).toBe(page);
    });
  }

  it('gem_ops on the inode takes precedence over mapping->private_data', () => {
    const calls: Call[] = [];
    register(STYLES[2], calls, -EBUSY);
    shmemSetDevInfo(inode, { privateData: 'other', migratepage: () => 0 });
    expect(shmemMigratepage(k, inode, newpage, page, MigrateMode.SYNC)).toBe(-EBUSY);
    expect(calls).toHaveLength(1);
  });

  it('shmem_set_dev_info overwrites without a check; a registration without migratepage falls back', () => {
    const calls: number[] = [];
    shmemSetDevInfo(inode, { privateData: 1, migratepage: () => (calls.push(1), -EBUSY) });
    shmemSetDevInfo(inode, { privateData: 2 }); // v2: void, no check for pre-existing data
    expect(inode.privateData).toEqual({ privateData: 2 });
    expect(shmemMigratepage(k, inode, newpage, page, MigrateMode.SYNC)).toBe(0);
    expect(calls).toEqual([]);
    expect(filemapGetFolio(inode, 7)).toBe(newpage);
  });

  it('a hook may drop its pin and then migrate generically, as i915 does', () => {
    k.getPage(page); // pinned by the driver
    shmemSetDevInfo(inode, {
      privateData: null,
      migratepage: (mapping, np, p, mode) => {
        k.putPage(p); // flush the object from the GPU, drop the pin
        return migrateFolio(k, mapping, np, p, mode); // then migrate_page(), as patch 2/2 does
      },
    });
    expect(shmemMigratepage(k, inode, newpage, page, MigrateMode.SYNC)).toBe(0);
    expect(filemapGetFolio(inode, 7)).toBe(newpage);
    expect(k.mem.refcount[k.slot(page)]).toBe(1);
  });
});
