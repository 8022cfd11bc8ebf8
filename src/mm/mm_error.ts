/**
 * The typed error the memory users throw for a request the kernel would refuse (bad sizes,
 * writes past a size limit, unmapping what is not mapped, faults that cannot be served).
 * Every operation that throws it checks its arguments first, or undoes what it did, so the
 * machine's state is as consistent after the throw as before the call.
 */
export { EAGAIN, EBUSY, EFBIG, EINVAL, ENOMEM, ENOSPC } from './filemap.js';

// Further errno values the memory users return (negated, as the kernel does).
export const ENOENT = 2;
export const EIO = 5;
export const EFAULT = 14;
export const EEXIST = 17;

export class MmError extends Error {
  /**
   * @param code a negative errno (-ENOSPC, -EFBIG, -EINVAL, -ENOMEM, ...)
   */
  constructor(readonly code: number, message: string) {
    super(message);
    this.name = 'MmError';
  }
}
