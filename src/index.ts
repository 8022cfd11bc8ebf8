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
