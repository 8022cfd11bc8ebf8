/**
 * The driver policies compared, as data: which gfp mask a GEM object's shmem mapping gets
 * (and so which pageblocks its pages land in), whether the 2016 migratepage hook is
 * registered and how it treats an active object, and whether backing pages carry the object
 * in page->private as patch 2/2 does.
 */
import {
  GFP_HIGHUSER, GFP_HIGHUSER_MOVABLE, __GFP_RECLAIMABLE, __GFP_MOVABLE,
} from '../../mm/gfp.js';

/**
 * How the hook behaves: 'none' (no shmem_dev_info registered: the generic migration, which
 * fails with -EAGAIN on a pinned page), 'as-posted' (i915_gem_shrinker_migratepage of
 * Nov 2016: an active object is -EBUSY in every mode), 'wait-idle' (the what-if: in the sync
 * modes the hook waits for the GPU instead of bailing).
 */
export type HookMode = 'none' | 'as-posted' | 'wait-idle';

export const POLICY_NAMES = ['i915-6.1', 'seed-as-posted', 'seed', 'movable-no-hook', 'unmovable-pins', 'seed-wait-idle'] as const;
export type PolicyName = (typeof POLICY_NAMES)[number];

export interface GemPolicy {
  readonly name: PolicyName;
  /** mapping_set_gfp_mask() of every object's shmem file. */
  readonly gfpMask: number;
  readonly hook: HookMode;
  /** set_page_private(page, obj) on every backing page while the object has pages (patch 2/2). */
  readonly setPagePrivate: boolean;
  readonly description: string;
}

export const GEM_POLICIES: Readonly<Record<PolicyName, GemPolicy>> = {
  'i915-6.1': {
    name: 'i915-6.1',
    gfpMask: GFP_HIGHUSER | __GFP_RECLAIMABLE,
    hook: 'none',
    setPagePrivate: false,
    description: 'i915 in 6.1 (shmem_object_init): RECLAIMABLE pages, pinned while the object has pages, no migration hook',
  },
  'seed-as-posted': {
    name: 'seed-as-posted',
    // `if (IS_ENABLED(MIGRATION)) mask |= __GFP_MOVABLE;` lacks the CONFIG_ prefix, so it is
    // always false: the pages stay RECLAIMABLE although the hook is registered.
    gfpMask: GFP_HIGHUSER | __GFP_RECLAIMABLE,
    hook: 'as-posted',
    setPagePrivate: true,
    description: 'patches 1/2 + 2/2 as posted (Nov 2016): the hook, but IS_ENABLED(MIGRATION) is false so pages stay RECLAIMABLE',
  },
  seed: {
    name: 'seed',
    gfpMask: GFP_HIGHUSER_MOVABLE, // Hugh Dickins' suggestion; what the April v4 used
    hook: 'as-posted',
    setPagePrivate: true,
    description: 'the hook with the mask fixed to GFP_HIGHUSER_MOVABLE: pages in MOVABLE pageblocks',
  },
  'movable-no-hook': {
    name: 'movable-no-hook',
    gfpMask: GFP_HIGHUSER_MOVABLE,
    hook: 'none',
    setPagePrivate: false,
    description: 'GFP_HIGHUSER_MOVABLE without the hook: pinned pages scattered over MOVABLE pageblocks',
  },
  'unmovable-pins': {
    name: 'unmovable-pins',
    gfpMask: GFP_HIGHUSER & ~(__GFP_MOVABLE | __GFP_RECLAIMABLE),
    hook: 'none',
    setPagePrivate: false,
    description: 'GFP_HIGHUSER without __GFP_MOVABLE/__GFP_RECLAIMABLE, as TTM pools allocate: pinned pages kept in UNMOVABLE pageblocks',
  },
  'seed-wait-idle': {
    name: 'seed-wait-idle',
    gfpMask: GFP_HIGHUSER_MOVABLE,
    hook: 'wait-idle',
    setPagePrivate: true,
    description: 'what-if: the movable seed, but in SYNC_LIGHT/SYNC the hook waits for an active object instead of returning -EBUSY',
  },
};

/** The policy called `name`; throws a RangeError naming the known ones otherwise. */
export function gemPolicy(name: string): GemPolicy {
  if (!(POLICY_NAMES as readonly string[]).includes(name)) {
    throw new RangeError(`unknown GEM policy ${JSON.stringify(name)}: expected one of ${POLICY_NAMES.join(', ')}`);
  }
  return GEM_POLICIES[name as PolicyName];
}
