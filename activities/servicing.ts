/**
 * The servicing activities of a paid order (services/servicing.ts does the work): the checks and writes are local
 * activities in the workflow, the charges and refunds full ones (they call the payment provider).
 */
import type { Servicing } from '../services/servicing';

export function servicingActivities(servicing: Servicing) {
  return {
    priceServices: servicing.priceServices,
    chargeServicing: servicing.charge,
    refundServicing: servicing.refundCharge,
    issueServices: servicing.issueServices,
    removeService: servicing.removeService,
    priceSeatChange: servicing.priceSeatChange,
    changeSoldSeat: servicing.changeSeat,
  };
}
