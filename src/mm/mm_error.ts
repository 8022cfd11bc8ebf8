/**
 * The typed error the memory users throw for a request the kernel would refuse (bad sizes,
 * writes past a size limit, unmapping what is not mapped, faults that cannot be served).
 * Every operation that throws it checks its arguments first, or undoes what it did, so the
 * machine's state is as consistent after the throw as before the call.
 */
export { EAGAIN, EBUSY, EFBIG, EINVAL, ENOMEM, ENOSPC } from './filemap.js';

// Further errno values the memory users return (negated, as the kernel does).
export const ENOENT = 2;
export const EINTR = 4;
export const EIO = 5;
export const ENXIO = 6;
export const EFAULT = 14;
export const EEXIST = 17;
export const EOPNOTSUPP = 95;
/** Memory page has hardware error (memory_failure() of a page already poisoned). */
export const EHWPOISON = 133;

export class MmError extends Error {
  /**
   * @param code a negative errno (-ENOSPC, -EFBIG, -EINVAL, -ENOMEM, ...)
   */
  constructor(readonly code: number, message: string) {
    super(message);
    this.name = 'MmError';
  }
}

/**
 * The process was killed by the OOM killer. Thrown by the access during which the killer chose
 * it (its SIGKILL ends the task before the rest of the access happens, so the pages after the
 * faulting one are not touched) and by any later call on its mm. A killed task gets no errno
 * in Linux; the code is -EINTR, a call cut short by a signal, which nothing else in the model
 * returns.
 */
export class OomKilledError extends MmError {
  constructor(readonly pid: number, readonly comm: string, what: string) {
    super(-EINTR, `${what}: ${comm}[${pid}] was killed by the OOM killer`);
    this.name = 'OomKilledError';
  }
}
