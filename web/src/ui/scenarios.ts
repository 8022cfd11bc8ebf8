/** The shipped scenarios (scenarios/*.yaml), bundled into the page as text. */
const files = import.meta.glob<string>('../../../scenarios/*.yaml', { query: '?raw', import: 'default', eager: true });

export interface ScenarioText {
  /** `scenarios/<name>.yaml`, as error messages name it. */
  file: string;
  text: string;
}

export const SHIPPED: readonly ScenarioText[] = Object.entries(files)
  .map(([path, text]) => ({ file: `scenarios/${path.split('/').pop()!}`, text }))
  .sort((a, b) => a.file.localeCompare(b.file));

/** The scenario `pagelab serve SCENARIO` put in the editor, if any. */
export async function preloaded(): Promise<ScenarioText | null> {
  try {
    const r = await fetch('./api/preload', { cache: 'no-store' });
    if (!r.ok) return null;
    const body: unknown = await r.json();
    if (typeof body === 'object' && body !== null && 'file' in body && 'text' in body && typeof body.file === 'string' && typeof body.text === 'string') {
      return { file: body.file, text: body.text };
    }
  } catch {
    // a static host without the endpoint
  }
  return null;
}
