/**
 * The driver policies compared, as data: which gfp mask a GEM object's shmem mapping gets
 * (and so which pageblocks its pages land in), whether the 2016 migratepage hook is
 * registered and how it treats an active object, how the hook's driver lock is taken, and
 * whether backing pages carry the object in page->private as patch 2/2 does. The named
 * presets below are what scenarios usually pick; a scenario may also spell a policy out
 * field by field (src/workloads/gem_policy_option.ts).
 */
import {
  GFP_HIGHUSER, GFP_HIGHUSER_MOVABLE, __GFP_RECLAIMABLE, __GFP_MOVABLE,
} from '../../mm/gfp.js';

/**
 * How the hook behaves: 'none' (no shmem_dev_info registered: the generic migration, which
 * fails with -EAGAIN on a pinned page), 'as-posted' (i915_gem_shrinker_migratepage of
 * Nov 2016: an active object is -EBUSY in every mode), 'wait-idle' (the what-if: in the sync
 * modes the hook waits for the object's requests instead of bailing).
 */
export type HookMode = 'none' | 'as-posted' | 'wait-idle';
export const HOOK_MODES: readonly HookMode[] = ['none', 'as-posted', 'wait-idle'];

export const POLICY_NAMES = [
  'i915-6.1', 'seed-as-posted', 'seed', 'seed-trylock', 'movable-no-hook', 'unmovable-pins', 'seed-wait-idle',
] as const;
export type PolicyName = (typeof POLICY_NAMES)[number];

export interface GemPolicy {
  /** A preset's name, or a name the scenario gave its own policy. */
  readonly name: string;
  /** mapping_set_gfp_mask() of every object's shmem file. */
  readonly gfpMask: number;
  readonly hook: HookMode;
  /**
   * The hook's i915_gem_shrinker_lock_uninterruptible(): true for the helper of the tree the
   * series was posted against (4.9/4.10 i915_gem_shrinker.c), whose every try first waits,
   * uninterruptibly and without a timeout, for the whole GPU to go idle
   * (i915_gem_wait_for_idle(dev_priv, 0)) and then trylocks struct_mutex; false for the 4.8
   * helper, a plain trylock loop. Either way the lock itself is given up after 10 ms.
   */
  readonly lockWaitsForIdle: boolean;
  /** set_page_private(page, obj) on every backing page while the object has pages (patch 2/2). */
  readonly setPagePrivate: boolean;
  readonly description: string;
}

export const GEM_POLICIES: Readonly<Record<PolicyName, GemPolicy>> = {
  'i915-6.1': {
    name: 'i915-6.1',
    gfpMask: GFP_HIGHUSER | __GFP_RECLAIMABLE,
    hook: 'none',
    lockWaitsForIdle: false,
    setPagePrivate: false,
    description: 'i915 in 6.1 (shmem_object_init): RECLAIMABLE pages, pinned while the object has pages, no migration hook',
  },
  'seed-as-posted': {
    name: 'seed-as-posted',
    // `if (IS_ENABLED(MIGRATION)) mask |= __GFP_MOVABLE;` lacks the CONFIG_ prefix, so it is
    // always false: the pages stay RECLAIMABLE although the hook is registered.
    gfpMask: GFP_HIGHUSER | __GFP_RECLAIMABLE,
    hook: 'as-posted',
    lockWaitsForIdle: true,
    setPagePrivate: true,
    description: 'patches 1/2 + 2/2 as posted (Nov 2016): the hook, but IS_ENABLED(MIGRATION) is false so pages stay RECLAIMABLE',
  },
  seed: {
    name: 'seed',
    gfpMask: GFP_HIGHUSER_MOVABLE, // Hugh Dickins' suggestion; what the April v4 used
    hook: 'as-posted',
    lockWaitsForIdle: true,
    setPagePrivate: true,
    description: 'the hook with the mask fixed to GFP_HIGHUSER_MOVABLE: pages in MOVABLE pageblocks; its lock waits for the GPU to go idle',
  },
  'seed-trylock': {
    name: 'seed-trylock',
    gfpMask: GFP_HIGHUSER_MOVABLE,
    hook: 'as-posted',
    lockWaitsForIdle: false,
    setPagePrivate: true,
    description: 'seed with the 4.8 lock helper (a 10 ms trylock, no GPU wait): an active object is refused at once',
  },
  'movable-no-hook': {
    name: 'movable-no-hook',
    gfpMask: GFP_HIGHUSER_MOVABLE,
    hook: 'none',
    lockWaitsForIdle: false,
    setPagePrivate: false,
    description: 'GFP_HIGHUSER_MOVABLE without the hook: pinned pages scattered over MOVABLE pageblocks',
  },
  'unmovable-pins': {
    name: 'unmovable-pins',
    gfpMask: GFP_HIGHUSER & ~(__GFP_MOVABLE | __GFP_RECLAIMABLE),
    hook: 'none',
    lockWaitsForIdle: false,
    setPagePrivate: false,
    description: 'GFP_HIGHUSER without __GFP_MOVABLE/__GFP_RECLAIMABLE, as TTM pools allocate: pinned pages kept in UNMOVABLE pageblocks',
  },
  'seed-wait-idle': {
    name: 'seed-wait-idle',
    gfpMask: GFP_HIGHUSER_MOVABLE,
    hook: 'wait-idle',
    lockWaitsForIdle: false,
    setPagePrivate: true,
    description: 'what-if: seed-trylock, but in SYNC_LIGHT/SYNC the hook waits for an active object instead of returning -EBUSY',
  },
};

/** The policy called `name`; throws a RangeError naming the known ones otherwise. */
export function gemPolicy(name: string): GemPolicy {
  if (!(POLICY_NAMES as readonly string[]).includes(name)) {
    throw new RangeError(`unknown GEM policy ${JSON.stringify(name)}: expected one of ${POLICY_NAMES.join(', ')}`);
  }
  return GEM_POLICIES[name as PolicyName];
}

/** A policy spelled out field by field, starting from a preset (default: i915-6.1). */
export interface GemPolicyFields {
  name?: string;
  base?: PolicyName;
  gfpMask?: number;
  hook?: HookMode;
  lockWaitsForIdle?: boolean;
  setPagePrivate?: boolean;
}

/** A preset with some fields replaced. setPagePrivate follows the hook unless given. */
export function customGemPolicy(f: GemPolicyFields): GemPolicy {
  const base = GEM_POLICIES[f.base ?? 'i915-6.1'];
  const hook = f.hook ?? base.hook;
  const p: GemPolicy = {
    name: f.name ?? `${base.name}*`,
    gfpMask: f.gfpMask ?? base.gfpMask,
    hook,
    lockWaitsForIdle: f.lockWaitsForIdle ?? base.lockWaitsForIdle,
    setPagePrivate: f.setPagePrivate ?? hook !== 'none',
    description: `${base.name} with ${Object.entries(f).filter(([k, v]) => v !== undefined && k !== 'name' && k !== 'base').map(([k]) => k).join(', ') || 'no changes'}`,
  };
  if (p.hook !== 'none' && !p.setPagePrivate) {
    throw new RangeError('a hook needs setPagePrivate: it finds the object through page->private');
  }
  return p;
}
