/** The request origin helpers live in the kernel (functions/lib/origin.ts): checkout's risk check uses them too. */
export { deviceHash, originOf, type RequestOrigin } from '../lib/origin.ts';
