/**
 * A problem in an input file, located in it: `file:line: field: expected <expected>, found <found>`.
 * SpecError (machine specs, scenarios) and ImportError (real-kernel captures) share it.
 */
export class InputError extends Error {
  /**
   * @param file the file name as given to the loader
   * @param line 1-based line, or undefined when there is none (no source, an empty document,
   *   a value given as an object, a missing section)
   * @param field where in the file (`machine.zones[0].pages`, `phases[2].buddyinfo.0.DMA`); ''
   *   for the whole document or a text file
   * @param expected what would have been accepted
   * @param found what the file has there
   * @param message defaults to `file:line: field: expected <expected>, found <found>`
   */
  constructor(
    readonly file: string,
    readonly line: number | undefined,
    readonly field: string,
    readonly expected: string,
    readonly found: string,
    message?: string,
  ) {
    super(message ?? `${locationPrefix(file, line)}${field === '' ? '' : `${field}: `}expected ${expected}, found ${found}`);
  }
}

export function locationPrefix(file: string, line: number | undefined): string {
  return line === undefined ? `${file}: ` : `${file}:${line}: `;
}
