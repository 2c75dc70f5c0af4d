## src/sim/local.mk - paypal-sim, the local PayPal (SPEC §6).
