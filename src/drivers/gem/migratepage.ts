/**
 * Patch 2/2 of the 2016 series ("drm/i915: Make GPU pages movable", v6, Nov 4 2016): the
 * callback i915 registers through shmem_set_dev_info() so that migration of one of its shmem
 * pages asks the driver first. One ShmemDevInfo per device, private_data = the device, as
 * posted. The rules, in order (kernel-mm.md §7.3):
 *  1. newpage's page->private is cleared;
 *  2. page->private == 0 (the object has no pages) -> migrate_page();
 *  3. page_count(page) <= 2 (the cache's and the migrator's references only) -> migrate_page();
 *  4. the driver lock is not taken within 10 ms -> -EBUSY. The lock helper of the tree the
 *     series was posted against (4.9/4.10 i915_gem_shrinker_lock_uninterruptible) first waits,
 *     without a timeout, for the whole GPU to go idle: so as posted the hook does wait for
 *     the GPU, in every mode (policy.lockWaitsForIdle; `seed-trylock` has the 4.8 helper);
 *  5. do_migrate_page(): the object is active, purgeable (DONTNEED), pinned beyond its
 *     bindings (pages_pin_count > bound VMAs), has a pinned VMA, or the device is runtime
 *     suspended -> -EBUSY; otherwise every VMA is unbound and the WHOLE object's pages are put
 *     (unsafe_drop_pages), -EBUSY if that fails;
 *  6. page_count(page) > 2 still -> -EBUSY (not -EAGAIN: no ten retries);
 *  7. migrate_page().
 * -EBUSY is final for the migrate_pages() call. The mode is not looked at.
 * (kernel-mm.md §7.3 reads the posted code against the 4.8 lock helper, which never waits.)
 *
 * The what-if `seed-wait-idle`: in MIGRATE_SYNC_LIGHT and MIGRATE_SYNC an active object is
 * waited for (its requests retire now and the remaining GPU time is charged to the allocating
 * task) instead of failing; MIGRATE_ASYNC still bails.
 */
import { type AddressSpace, EBUSY, MigrateMode } from '../../mm/filemap.js';
import { migrateFolio } from '../../mm/migrate.js';
import { PG_swapcache } from '../../mm/page_flags.js';
import type { ShmemDevInfo } from '../../mm/shmem.js';
import type { GemDevice } from './driver.js';
import { Madv } from './flags.js';
import type { GemObject } from './object.js';

/** msecs_to_jiffies(10): how long the hook tries for the driver lock. */
export const HOOK_LOCK_TIMEOUT_NS = 10e6;

/** The device's struct shmem_dev_info (i915->mm.shmem_info, set up in i915_gem_shrinker_init). */
export function createShmemDevInfo(dev: GemDevice): ShmemDevInfo {
  return {
    privateData: dev,
    migratepage: (mapping, newpage, page, mode, privateData) =>
      i915GemShrinkerMigratepage(privateData as GemDevice, mapping, newpage, page, mode),
  };
}

/** migrate_page(), counting what the hook let through. */
function migrate(dev: GemDevice, mapping: AddressSpace, newpage: number, page: number, mode: MigrateMode): number {
  const rc = migrateFolio(dev.k, mapping, newpage, page, mode);
  if (rc === 0) dev.stats.hookMigrated++;
  else dev.stats.hookMigrateFailed++;
  return rc;
}

/** i915_gem_shrinker_migratepage() */
export function i915GemShrinkerMigratepage(dev: GemDevice, mapping: AddressSpace, newpage: number, page: number, mode: MigrateMode): number {
  const k = dev.k;
  const st = dev.stats;
  const s = k.slot(page);
  st.hookCalls++;
  k.mem.private[k.slot(newpage)] = 0;
  if (k.mem.private[s] === 0) {
    st.hookNoPrivate++;
    return migrate(dev, mapping, newpage, page, mode);
  }
  if (k.mem.refcount[s]! <= 2) {
    st.hookNotPinned++;
    return migrate(dev, mapping, newpage, page, mode);
  }
  if (!dev.shrinkerLockUninterruptible(HOOK_LOCK_TIMEOUT_NS)) {
    st.hookEbusyLock++;
    return -EBUSY;
  }
  let ret = 0;
  try {
    const id = k.mem.private[s]!;
    if ((k.mem.flags[s]! & PG_swapcache) === 0 && id !== 0) {
      const obj = dev.objectById(id);
      if (obj) ret = doMigratePage(dev, obj, mode);
    }
  } finally {
    dev.shrinkerUnlock();
  }
  if (ret) return ret;
  if (k.mem.refcount[s]! > 2) {
    st.hookEbusyOverref++;
    return -EBUSY;
  }
  return migrate(dev, mapping, newpage, page, mode);
}

/** can_migrate_page() + do_migrate_page() (with the wait-idle what-if for an active object). */
function doMigratePage(dev: GemDevice, obj: GemObject, mode: MigrateMode): number {
  const st = dev.stats;
  if (obj.isActive()) {
    if (dev.policy.hook === 'wait-idle' && (mode === MigrateMode.SYNC_LIGHT || mode === MigrateMode.SYNC)) {
      const waited = dev.waitObjectIdle(obj);
      st.hookWaitNs += waited;
      st.hookWaits++;
      dev.chargeStall(waited);
    } else {
      st.hookEbusyActive++;
      return -EBUSY;
    }
  }
  if (obj.madv === Madv.DONTNEED) {
    st.hookEbusyPurgeable++;
    return -EBUSY;
  }
  if (obj.pagesPinCount > obj.boundCount()) {
    st.hookEbusyPinnedPages++;
    return -EBUSY;
  }
  if (obj.anyVmaPinned()) {
    st.hookEbusyPinnedVma++;
    return -EBUSY;
  }
  if (!dev.runtimePmGetIfInUse()) {
    st.hookEbusySuspended++;
    return -EBUSY;
  }
  try {
    // unsafe_drop_pages(): unbind every VMA, then put the pages of the whole object.
    const had = obj.pages ? obj.nPages : 0;
    if (obj.unbind(0) !== 0 || obj.putPages() !== 0) {
      st.hookEbusyDropFailed++;
      return -EBUSY;
    }
    if (had) {
      st.hookObjectsDropped++;
      st.hookPagesUnpinned += had;
    }
    return 0;
  } finally {
    dev.runtimePmPut();
  }
}
