/**
 * Checking the editor's YAML with the same loader and schema as the CLI (loaded on demand, so
 * the page paints before the model's code arrives).
 */
import type { InputProblem } from '../shared/protocol.js';

export interface ScenarioOutline {
  name: string;
  description: string;
  variants: string[];
  durationNs: number;
}

export type Checked = { ok: true; outline: ScenarioOutline } | { ok: false; problem: InputProblem };

export async function checkScenario(text: string, file: string): Promise<Checked> {
  const [{ loadScenario }, { InputError }] = await Promise.all([
    import('../../../src/scenario/load.js'),
    import('../../../src/machine/input_error.js'),
  ]);
  try {
    const s = loadScenario(text, file);
    return { ok: true, outline: { name: s.name, description: s.description, variants: s.variants.map((v) => v.name), durationNs: s.durationNs } };
  } catch (e) {
    if (e instanceof InputError) return { ok: false, problem: { message: e.message, line: e.line ?? null, field: e.field } };
    return { ok: false, problem: { message: e instanceof Error ? e.message : String(e), line: null, field: '' } };
  }
}
