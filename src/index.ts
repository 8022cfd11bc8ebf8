/**
 * pagelab as a library: boot a simulated Linux 6.1 machine, drive its page allocator, and
 * read its state back in the kernel's own formats. Everything exported here runs in Node and
 * in the browser.
 */
export * from './mm/constants.js';
export * from './mm/gfp.js';
export { bootMachine, type BootedMachine } from './mm/mm_init.js';
export {
  PageAllocator, type AllocatorHooks, ALLOC_WMARK_MIN, ALLOC_WMARK_LOW, ALLOC_WMARK_HIGH, ALLOC_NO_WATERMARKS,
  ALLOC_OOM, ALLOC_NON_BLOCK, ALLOC_MIN_RESERVE, ALLOC_CPUSET, ALLOC_CMA, ALLOC_NOFRAGMENT, ALLOC_HIGHATOMIC,
  ALLOC_KSWAPD,
} from './mm/page_alloc.js';
export { MemMap } from './mm/memmap.js';
export { Zone, PgData } from './mm/zone.js';
export { VmEvent, ZoneStat } from './mm/vmstat.js';
export { checkInvariants, InvariantError } from './mm/debug_vm.js';
export { takeSnapshot, freeListCounts, pageblockCounts } from './mm/show.js';
export type { MachineSnapshot, NodeSnapshot, ZoneSnapshot } from './mm/snapshot.js';
export {
  renderBuddyinfo, renderPagetypeinfo, renderZoneinfo, renderVmstat, renderUnusableIndex, renderExtfragIndex,
} from './mm/procfs.js';
export { fillContigPageInfo, fragmentationIndex, unusableFreeIndex } from './mm/extfrag.js';
export type { KmemTraceSink, TraceContext } from './mm/tracepoints.js';
export type { MachineConfig, NodeConfig, ZoneConfig, Sysctls } from './machine/config.js';
export { DEFAULT_SYSCTLS } from './machine/config.js';
export { loadMachineSpec, parseMachineSpec, SpecError } from './machine/spec.js';
export { defaultX86Layout } from './machine/layout.js';
export { parseSize, formatSize } from './machine/size.js';
export { showGfpFlags, parseGfpFlags } from './trace/gfp_names.js';
export { FtraceTextWriter, FtraceParseError, ftraceHeader, parseFtrace, parseKmemEvent, type KmemEvent } from './trace/ftrace.js';
export { replayTrace, placementsTsv, ReplayError, type Placement, type PlacementRow } from './replay/replay.js';
export { Prng } from './sim/prng.js';
export { EventQueue } from './sim/clock.js';
// The simulated kernel with its memory users, and the 2016 shmem_dev_info API (the seed).
export { Kernel, type CurrentTask, type VmSysctls } from './mm/kernel.js';
export {
  AddressSpace, type AddressSpaceOperations, MigrateMode, type WritebackControl, filemapAddFolio, filemapGetFolio,
  filemapRemoveFolio, filemapReleaseFolio, folioAttachPrivate, folioDetachPrivate,
} from './mm/filemap.js';
// Typed errors: every refusal of the memory users is an MmError with a negative errno.
export {
  MmError, OomKilledError, EAGAIN, EBUSY, EEXIST, EFAULT, EFBIG, EHWPOISON, EINTR, EINVAL, EIO, ENOENT, ENOMEM, ENOSPC,
  ENXIO, EOPNOTSUPP,
} from './mm/mm_error.js';
export {
  type ShmemDevInfo, ShmemInode, shmemSetDevInfo, shmemGetDevInfo, shmemSetGemOps, shmemMigratepage, shmemAops,
  shmemGetFolio, shmemTruncate, shmemWrite, shmemRead, mappingSetUnevictable, mappingClearUnevictable, shmemLock,
} from './mm/shmem.js';
export { migrateFolio, migratePages, MigrateReason, putbackMovablePages } from './mm/migrate.js';
export { Compaction, CompactControl, CompactResult, CompactPriority } from './mm/compaction.js';
export { OomKiller, type OomTask, type OomEvent } from './mm/oom_kill.js';
export { Vmscan, type Shrinker, type ShrinkControl, SHRINK_STOP, SHRINK_EMPTY, DEFAULT_SEEKS, SHRINK_BATCH } from './mm/vmscan.js';
export { createMm, mmap, munmap, mlock, munlock, exitMm, MmStruct } from './mm/memory.js';
export { touch } from './mm/fault.js';
export { setThpSettings, thpSettings, type ThpSettings } from './mm/huge_memory.js';
export {
  createFile, fileRead, fileWrite, fileTruncate, invalidateClean, writebackMapping, dropPagecache,
} from './mm/file.js';
export { memoryFailure, type MemoryFailureReport, type MfResult } from './mm/memory_failure.js';
export { swapon } from './mm/swapfile.js';
export { kmemCacheCreate, kmemCacheAlloc, kmemCacheFree, kmemCacheShrinker } from './mm/slab.js';
export { describePage } from './mm/describe_page.js';
export { checkUserInvariants } from './mm/debug_vm_users.js';
export type { Owner, MovableOperations } from './mm/owners.js';
// Scenarios: load, run, compare (browser-safe).
export { loadScenario, parseScenario, resolveVariant, type Scenario } from './scenario/load.js';
export { runScenario, runScenarioAsync, RunAborted } from './scenario/runner.js';
export { runOutputFiles } from './scenario/outputs.js';
export { scenarioJsonSchema } from './scenario/schema.js';
export { compareRows, compareTable } from './scenario/compare.js';
export type { RunResult, Sample, ProcSnapshot } from './scenario/types.js';
export { WORKLOAD_KINDS, defineWorkload, type WorkloadKind } from './workloads/index.js';
export { RunCounters, type Workload, type WorkloadContext } from './workloads/workload.js';
