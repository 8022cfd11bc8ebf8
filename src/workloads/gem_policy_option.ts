/**
 * The `policy:` option of the GEM workloads (`gpu`, and memscen's `gem_policy`): a preset's
 * name, or a policy spelled out as data on top of a preset, so a new driver policy is a
 * scenario edit rather than code:
 *
 *   policy: seed
 *   policy: { base: seed, gfp: GFP_HIGHUSER|__GFP_RECLAIMABLE, lock_waits_for_idle: false }
 */
import { z } from 'zod';
import { HOOK_MODES, POLICY_NAMES, customGemPolicy, gemPolicy, type GemPolicy, type HookMode } from '../drivers/gem/policy.js';
import { zGfp } from './common.js';

const zPolicyFields = z
  .strictObject({
    name: z.string().min(1).optional().describe('a name for reports (default: the base with a *)'),
    base: z.enum(POLICY_NAMES).default('i915-6.1').describe('the preset the other fields change'),
    gfp: zGfp.optional().describe('gfp mask of every object\'s shmem mapping, e.g. GFP_HIGHUSER_MOVABLE'),
    hook: z.enum(HOOK_MODES as [HookMode, ...HookMode[]]).optional().describe('the migratepage hook: none, as-posted, wait-idle'),
    lock_waits_for_idle: z.boolean().optional().describe('the hook\'s lock helper first waits for the GPU to go idle (the 4.9/4.10 helper)'),
    set_page_private: z.boolean().optional().describe('backing pages carry the object in page->private (needed by a hook)'),
  })
  .superRefine((o, ctx) => {
    const hook = o.hook ?? gemPolicy(o.base).hook;
    if (hook !== 'none' && o.set_page_private === false) {
      ctx.addIssue({ code: 'custom', path: ['set_page_private'], message: 'expected true (or left out) when there is a hook: it finds the object through page->private' });
    }
  });

/** A GEM driver policy: a preset name or `{ base, gfp, hook, lock_waits_for_idle, set_page_private }`. */
export const zGemPolicy = z
  .union([z.enum(POLICY_NAMES), zPolicyFields])
  .transform((v): GemPolicy => {
    if (typeof v === 'string') return gemPolicy(v);
    return customGemPolicy({
      name: v.name, base: v.base, gfpMask: v.gfp, hook: v.hook, lockWaitsForIdle: v.lock_waits_for_idle, setPagePrivate: v.set_page_private,
    });
  });
