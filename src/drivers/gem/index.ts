/** The i915-like GEM driver model: policies, objects, engines, the device and the 2016 hook. */
export { GEM_POLICIES, POLICY_NAMES, gemPolicy, type GemPolicy, type HookMode, type PolicyName } from './policy.js';
export {
  Madv, I915_SHRINK_UNBOUND, I915_SHRINK_BOUND, I915_SHRINK_ACTIVE, I915_SHRINK_VMAPS, I915_SHRINK_WRITEBACK,
  I915_GEM_OBJECT_UNBIND_ACTIVE, I915_GEM_OBJECT_UNBIND_TEST,
} from './flags.js';
export { GemObject, type GemVma } from './object.js';
export { GpuEngine, type GemRequest } from './engine.js';
export { GemDevice, GemStats, type GemDeviceOptions, type ExecbufOptions } from './driver.js';
export { createShmemDevInfo, i915GemShrinkerMigratepage, HOOK_LOCK_TIMEOUT_NS } from './migratepage.js';
