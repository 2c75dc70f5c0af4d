// words.js - what the console calls things: states and events in the
// team's words, roles, ages.

const KINDS = {
  refund: 'Refund', replacement: 'Replacement', resend: 'Resend', repair: 'Repair',
};

const STATUSES = {
  draft: 'Draft',
  pending_review: 'Pending review',
  pending_confirm: 'Waiting for the customer',
  confirmed: 'Confirmed',
  rejected: 'Customer disagreed',
  awaiting_preauth: 'Waiting for the PayPal hold',
  awaiting_shipment: 'Awaiting shipment',
  awaiting_return: 'Awaiting the return',
  return_submitted: 'Return on the way',
  received: 'Received',
  refund_due: 'Refund due',
  replacement_shipped: 'Replacement shipped',
  quote_pending: 'Quote with the customer',
  repair_shipped: 'Repaired unit shipped',
  charged: 'Hold charged',
  capture_failed: 'Capture failed',
  completed: 'Completed',
  cancelled: 'Cancelled',
  expired: 'Expired',
};

const ROLES = {
  agent: 'Agent', supervisor: 'Supervisor', warehouse: 'Warehouse', finance: 'Finance', admin: 'Admin',
};

export const ROLE_NAMES = Object.keys(ROLES);
export const kindLabel = (k) => KINDS[k] || k;
export const statusLabel = (s) => STATUSES[s] || String(s || '').replace(/_/g, ' ');
export const roleLabel = (r) => ROLES[r] || r;
export const words = (s) => String(s || '').replace(/_/g, ' ');

const EVENTS = {
  create: 'Created',
  edit: 'Edited',
  submit: 'Submitted to the customer',
  submit_reviewed: 'Submitted for review',
  approve: 'Approved',
  send_back: 'Sent back',
  revise: 'Revised',
  agree: 'Customer agreed',
  disagree: 'Customer disagreed',
  confirm_on_behalf: 'Confirmed on the customer\u2019s behalf',
  start_fulfilment: 'Fulfilment started',
  choose_standard: 'Standard replacement chosen',
  choose_advanced: 'Advanced replacement chosen',
  preauthorized: 'PayPal hold placed',
  ship: 'Shipped',
  submit_return: 'Return information submitted',
  receive: 'Return received',
  quote: 'Repair quote sent',
  quote_decided: 'Repair quote answered',
  ship_repaired: 'Repaired unit shipped',
  capture: 'Hold charged',
  capture_failed: 'Capture failed',
  complete: 'Completed',
  cancel: 'Cancelled',
  expire: 'Expired',
  waive: 'Hold waived',
  inspection: 'Inspected',
};
export const eventLabel = (e) => EVENTS[e.action] || words(e.action);

// "3 days 4 h", "2 h 5 min", "12 min": how long something has waited.
export function age(seconds) {
  const s = Math.max(0, Math.floor(seconds || 0));
  const d = Math.floor(s / 86400);
  const hrs = Math.floor((s % 86400) / 3600);
  const min = Math.floor((s % 3600) / 60);
  if (d > 0) return `${d} day${d === 1 ? '' : 's'}${hrs ? ` ${hrs} h` : ''}`;
  if (hrs > 0) return `${hrs} h${min ? ` ${min} min` : ''}`;
  return `${Math.max(min, 0)} min`;
}
