## src/paypal.mk - the PayPal client module (SPEC §5.7), part of librma.
