/**
 * shmem/tmpfs (mm/shmem.c, include/linux/shmem_fs.h) and the 2016 patch
 * "shmem: Support for registration of driver/file owner specific ops".
 *
 * The patch's rationale, in its own words: i915.ko uses shmemfs to provide swappable backing
 * storage for its user objects, but when those objects are in use by the GPU it must pin the
 * entire object until the GPU is idle. As a result, large chunks of memory can be arbitrarily
 * withdrawn from page migration, resulting in premature out-of-memory due to fragmentation.
 * However, if i915.ko can receive the migratepage() request, it can then flush the object from
 * the GPU, remove its pin and thus enable the migration.
 */
import { GFP_HIGHUSER_MOVABLE } from './gfp.js';
import { AddressSpace, type AddressSpaceOperations, type MigrateMode } from './filemap.js';
import type { Kernel } from './kernel.js';
import { migrateFolio } from './migrate.js';

/**
 * struct shmem_dev_info (patch v2): driver-specific operations for a shmem file, stored in
 * mapping->private_data. Only migratepage is defined, "extended on an as-needed basis".
 */
export interface ShmemDevInfo {
  privateData: unknown;
  /** Called instead of the generic migration for every page of the file; 0 or -errno. */
  migratepage?(mapping: AddressSpace, newpage: number, page: number, mode: MigrateMode, privateData: unknown): number;
}

/** struct shmem_inode_info with its vfs inode's i_data: a shmem file is its own mapping here. */
export class ShmemInode extends AddressSpace {
  /** info->swapped: pages of this file out on swap. */
  swapped = 0;
  /** VM_LOCKED (SHM_LOCK): shmem_writepage() refuses to swap. */
  locked = false;
  /**
   * Hugh Dickins' "later" suggestion in review: a gem_ops pointer in shmem_inode_info that
   * gems fill in as they wish. Checked before mapping->private_data; same dispatch.
   */
  gemOps: ShmemDevInfo | null = null;

  constructor(name: string, gfpMask = GFP_HIGHUSER_MOVABLE) {
    super('shmem', name, gfpMask, shmemAops);
  }
}

/** SHMEM_I(): the shmem inode behind a mapping, or null if it is not shmem. */
export function SHMEM_I(mapping: AddressSpace): ShmemInode | null {
  return mapping instanceof ShmemInode ? mapping : null;
}

/**
 * shmem_set_dev_info() as in patch v2: store the driver's info in mapping->private_data.
 * Returns nothing and overwrites whatever was there, without a check (Joonas' review).
 */
export function shmemSetDevInfo(mapping: AddressSpace, devInfo: ShmemDevInfo): void {
  mapping.privateData = devInfo;
}

/**
 * shmem_get_dev_info(): the registered info, for hooks that deduce their object from the
 * mapping instead of trusting the private_data argument (Hugh's container_of() remark). A
 * driver object that itself implements ShmemDevInfo is returned as that object.
 */
export function shmemGetDevInfo(mapping: AddressSpace): ShmemDevInfo | null {
  const inode = SHMEM_I(mapping);
  if (inode?.gemOps) return inode.gemOps;
  return (mapping.privateData as ShmemDevInfo | null) ?? null;
}

/** Register through the inode's gem_ops pointer (the review's "later" shape). */
export function shmemSetGemOps(mapping: AddressSpace, ops: ShmemDevInfo | null): void {
  const inode = SHMEM_I(mapping);
  if (!inode) throw new TypeError(`${mapping.name} is not a shmem mapping`);
  inode.gemOps = ops;
}

/**
 * shmem_migratepage() from the patch: divert to the owner's hook when one is registered,
 * otherwise the generic migration (migrate_page() in 4.9, migrate_folio() in 6.1).
 */
export function shmemMigratepage(k: Kernel, mapping: AddressSpace, newpage: number, page: number, mode: MigrateMode): number {
  const devInfo = shmemGetDevInfo(mapping);
  if (devInfo?.migratepage) return devInfo.migratepage(mapping, newpage, page, mode, devInfo.privateData);
  return migrateFolio(k, mapping, newpage, page, mode);
}

/** shmem_aops, with the patch's .migratepage (6.1: .migrate_folio) = shmem_migratepage. */
export const shmemAops: AddressSpaceOperations = {
  migrateFolio: shmemMigratepage,
};
