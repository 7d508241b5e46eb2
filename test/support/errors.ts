import { ApiError } from '../../functions/lib/errors.ts';

/** Runs `fn`, which must throw an ApiError, and returns it (any other outcome fails the test). */
export function thrownApiError(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ApiError) return error;
    throw error;
  }
  throw new Error('expected an ApiError');
}
