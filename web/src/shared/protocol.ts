/**
 * Messages between the page and a simulation worker (one worker per variant shown). Page state
 * crosses as transferred typed arrays (one byte per page frame, one per pageblock), never as
 * JSON per page; samples and OOM marks are small and cloned.
 */
import type { Sample } from '../../../src/scenario/types.js';

export interface ZoneSpan {
  nid: number;
  name: string;
  startPfn: number;
  endPfn: number;
}

/** The machine's page frames, as the map lays them out. */
export interface MapGeometry {
  /** pfn of slot 0 (MemMap.pfnBase). */
  pfnBase: number;
  /** Slots (page frames, holes included), a whole number of pageblocks. */
  nrPages: number;
  pageblockOrder: number;
  zones: ZoneSpan[];
}

export interface OomMark {
  timeNs: number;
  victim: string;
  premature: boolean;
  freePages: number;
}

/** A located input problem (InputError), for the editor. */
export interface InputProblem {
  message: string;
  line: number | null;
  field: string;
}

/** What hovering a page shows. */
export interface PageInfo {
  pfn: number;
  zone: string;
  flags: string[];
  refcount: number;
  mapcount: number;
  order: number;
  owner: string;
  pageblock: string;
  pageblockSkip: boolean;
  gem: { name: string; hasPages: boolean; pagesPinCount: number; active: boolean; pages: number } | null;
}

export type ToWorker =
  | { type: 'load'; yaml: string; file: string; variant: string; seed: number }
  /** Run until simulated time `ns` (never backwards). */
  | { type: 'run-until'; ns: number }
  | { type: 'inspect'; pfn: number; id: number }
  /** Highlight every page of the owner of the page at `pfn` (-1: clear). */
  | { type: 'select'; pfn: number }
  /** Buffers of an earlier frame, handed back for reuse. */
  | { type: 'recycle'; cats: Uint8Array; blocks: Uint8Array; hist: Uint16Array }
  | { type: 'export' };

export interface FrameMsg {
  type: 'frame';
  simNs: number;
  events: number;
  cats: Uint8Array;
  blocks: Uint8Array;
  /** Pages per summary bucket of each pageblock (SUMMARY_BUCKETS a block): the zoomed-out map. */
  hist: Uint16Array;
  /** Pages per holder category (categories.ts). */
  counts: number[];
  /** Samples taken since the previous frame. */
  samples: Sample[];
  /** OOM invocations since the previous frame. */
  ooms: OomMark[];
  /** The selected owner's name and page count, or null. */
  selection: { name: string; pages: number } | null;
  done: boolean;
}

export type FromWorker =
  | { type: 'ready'; geometry: MapGeometry; scenario: string; variant: string; seed: number; totalNs: number; sampleEveryNs: number }
  | FrameMsg
  | { type: 'inspect'; id: number; info: PageInfo | null }
  /** The run finished: summary.json as `pagelab run` writes it. */
  | { type: 'done'; summaryJson: string }
  /** The files `pagelab run` writes as of simulated time `simNs` (the end, or the run so far), encoded (transferred). */
  | { type: 'export'; dir: string; simNs: number; files: Record<string, Uint8Array> }
  | { type: 'error'; problem: InputProblem };
