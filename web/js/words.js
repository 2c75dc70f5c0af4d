// words.js - what the portal calls things: kinds, states, events, and what
// happens next, in the customer's words.

const KINDS = {
  refund: 'Refund',
  replacement: 'Replacement',
  resend: 'Resend',
  repair: 'Repair',
};

const STATUSES = {
  pending_confirm: 'Waiting for your answer',
  confirmed: 'Confirmed',
  rejected: 'You disagreed: being revised',
  awaiting_preauth: 'Waiting for the PayPal pre-authorization',
  awaiting_shipment: 'Being shipped to you',
  awaiting_return: 'Waiting for your return',
  return_submitted: 'Return on its way',
  received: 'Return received',
  refund_due: 'Refund being paid',
  replacement_shipped: 'Replacement shipped',
  quote_pending: 'Repair quote waiting for you',
  repair_shipped: 'Repaired unit shipped',
  charged: 'Hold charged',
  capture_failed: 'Payment needed',
  completed: 'Completed',
  cancelled: 'Cancelled',
  expired: 'Expired',
  draft: 'Being prepared',
  pending_review: 'Being reviewed',
};

const MAKEUP_REASONS = {
  shipping_fee: 'Shipping fee',
  replacement_fee: 'Replacement fee',
  repair_fee: 'Repair fee',
  restocking_fee: 'Restocking fee',
};

export const kindLabel = (k) => KINDS[k] || k;
export const statusLabel = (s) => STATUSES[s] || s.replace(/_/g, ' ');
export const makeupReasonLabel = (r) => MAKEUP_REASONS[r] || (r || '').replace(/_/g, ' ');

// One timeline entry as a sentence.
export function eventLabel(e) {
  const byAction = {
    submit: 'Solution proposed',
    submit_reviewed: 'Solution proposed',
    approve: 'Solution proposed',
    agree: 'Agreed to the solution',
    disagree: 'Disagreed with the solution',
    confirm_on_behalf: 'Confirmed on your behalf',
    choose_standard: 'Chose standard replacement',
    choose_advanced: 'Chose advanced replacement',
    shipping_address: 'Shipping address updated',
    revise: 'Solution revised',
    cancel: 'Cancelled',
    start_fulfilment: 'Started',
    preauthorized: 'PayPal hold placed',
    ship: 'Shipped to you',
    submit_return: 'Return information submitted',
    receive: 'Return received',
    refund_due: 'Refund due',
    quote: 'Repair quote sent',
    quote_decided: 'Repair quote answered',
    ship_repaired: 'Repaired unit shipped',
    capture: 'Hold charged',
    capture_failed: 'Charging the hold failed',
    complete: 'Completed',
    accept_preauth: 'Accepted the pre-authorization agreement',
    paypal_cancelled: 'Cancelled on PayPal',
    attachment_added: 'Picture added',
    attachment_deleted: 'Picture removed',
    hold_released: 'PayPal hold released',
    hold_expired: 'PayPal hold expired',
    capture_now: 'Hold charged by our team',
    deadline_extension: 'Return deadline extended',
    waive_hold: 'PayPal hold waived',
    inspection: 'Returned unit inspected',
    expire: 'Expired',
  };
  if (byAction[e.action]) return byAction[e.action];
  if (e.to_status) return statusLabel(e.to_status);
  return (e.action || '').replace(/_/g, ' ');
}

// What happens next, from the state, the kind and the chosen method.
export function nextStep(r) {
  const advanced = r.replacement_method === 'advanced';
  switch (r.status) {
  case 'pending_confirm':
    return 'Review the solution below, then agree to it or tell us why you disagree.';
  case 'rejected':
    return 'Thank you for your comment. An agent is revising the solution; we will e-mail you when the new version is ready.';
  case 'confirmed':
    return r.kind === 'replacement'
      ? 'Choose how you want the replacement: standard (you return the faulty unit first) or advanced (we ship first, PayPal holds the replacement value until your return arrives).'
      : 'We are preparing the next step and will e-mail you.';
  case 'awaiting_preauth':
    return 'Check the shipping address, accept the pre-authorization agreement and continue to PayPal to approve the hold. We ship the replacement as soon as the hold is in place.';
  case 'awaiting_shipment':
    return advanced
      ? 'The hold is in place. Our warehouse ships your replacement now; then send the faulty unit back and submit the return information before the deadline.'
      : 'Our warehouse is shipping it to you.';
  case 'awaiting_return':
    return advanced
      ? 'Send the faulty unit to the address below and submit the return information (carrier, tracking number, label and receipt photos) before the deadline, or the hold is charged.'
      : 'Send the faulty unit to the address below and submit the return information (carrier, tracking number, label and receipt photos).';
  case 'return_submitted':
    return 'Thank you: your return is on its way. We will tell you when it arrives.';
  case 'received':
    if (r.kind === 'refund') return 'We received your return and are paying the refund.';
    if (advanced) return 'We received your return and released the PayPal hold.';
    if (r.kind === 'repair') return 'We received the unit and are inspecting it.';
    return 'We received your return and are shipping the replacement.';
  case 'refund_due':
    return 'The refund is being paid to your original payment method.';
  case 'replacement_shipped':
    return 'Your replacement is on its way.';
  case 'quote_pending':
    return 'A repair quote is waiting for your decision.';
  case 'repair_shipped':
    return 'Your repaired unit is on its way.';
  case 'charged':
    return r.return && r.return.submission
      ? 'The return deadline passed, so the hold was charged. Your return is on its way: once it arrives and is inspected, we refund the charge as the agreement says.'
      : 'The return deadline passed, so the hold was charged. You can still send the unit back: submit its return information below, and once it arrives and is inspected we refund the charge as the agreement says.';
  case 'capture_failed':
    return 'The hold could not be charged. Send the unit back and submit its return information below, or contact our team.';
  case 'completed':
    return 'This solution is complete.';
  case 'cancelled':
    return 'This solution was cancelled.';
  default:
    return 'We will e-mail you when something changes.';
  }
}
