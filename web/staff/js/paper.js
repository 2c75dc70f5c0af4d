// paper.js - the "Print" button of the service's printable pages (the
// packing slip, the pick list): no inline script under the CSP.
document.getElementById('print')?.addEventListener('click', () => window.print());
