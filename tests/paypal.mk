## tests/paypal.mk - tests of the PayPal client and the simulator.
