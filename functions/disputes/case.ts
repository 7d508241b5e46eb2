/**
 * The disputes face (the one file other capabilities may import): whose dispute a case is, and the
 * order it is about, for a capability that links to a dispute on a customer's word (support: a
 * conversation about a dispute). The caller compares `customerId` with its own principal: a dispute
 * id never scopes a tenant by itself.
 */
import { getDispute } from './store.ts';

export interface DisputeCase {
  customerId: string;
  orderId: string;
}

/** The owner and order of dispute `disputeId` (`dsp_…`), or undefined when there is no such dispute. */
export async function disputeCase(disputeId: string): Promise<DisputeCase | undefined> {
  const dispute = await getDispute(disputeId);
  return dispute ? { customerId: dispute.customerId, orderId: dispute.orderId } : undefined;
}
