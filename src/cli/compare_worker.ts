/** A piscina worker: one scenario run (variant x seed), returning its summary. */
import { loadScenario } from '../scenario/load.js';
import { runScenario } from '../scenario/runner.js';
import { scenarioFileReader } from './machine_file.js';

export interface CompareTask {
  text: string;
  file: string;
  variant: string;
  seed: number;
}

export default function runOne(task: CompareTask): { summary: Record<string, number> } {
  const scenario = loadScenario(task.text, task.file, scenarioFileReader(task.file));
  return { summary: runScenario(scenario, task.variant, task.seed).summary };
}
