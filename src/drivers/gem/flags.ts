/**
 * The GEM driver model's shared constants (drivers/gpu/drm/i915/gem/, 6.1): the madvise
 * states of an object, the i915_gem_shrink() selection flags and the i915_gem_object_unbind()
 * flags, with the kernel's values.
 */

/** obj->mm.madv: I915_MADV_WILLNEED, I915_MADV_DONTNEED (purgeable), __I915_MADV_PURGED. */
export enum Madv {
  WILLNEED = 0,
  DONTNEED = 1,
  PURGED = 2,
}

/** i915_gem_shrink() flags (i915_gem_shrinker.h). */
export const I915_SHRINK_UNBOUND = 1 << 0;
export const I915_SHRINK_BOUND = 1 << 1;
export const I915_SHRINK_ACTIVE = 1 << 2;
export const I915_SHRINK_VMAPS = 1 << 3;
export const I915_SHRINK_WRITEBACK = 1 << 4;

/** i915_gem_object_unbind() flags (i915_gem_object.h), the two the shrinker passes. */
export const I915_GEM_OBJECT_UNBIND_ACTIVE = 1 << 0;
export const I915_GEM_OBJECT_UNBIND_TEST = 1 << 2;

/** Negated errno values the driver returns that filemap.ts does not define. */
export const EFAULT = 14;
export const ENOENT = 2;
