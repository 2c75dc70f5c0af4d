/* tracking.h - carriers and the shape of their tracking numbers.
 *
 * A tracking number is normalized first: spaces and dashes removed, letters
 * upper-cased; what remains must be letters and digits.  For the carriers
 * we know, the number must then have one of their formats (and its check
 * digit where the format has a documented one):
 *
 *   UPS    1Z + 16 letters or digits, mod-10 check digit (letters count as
 *          (code - 63) mod 10, every second position doubled); or T + 10
 *          digits (UPS Freight).
 *   USPS   20 or 22 digits with the GS1 mod-10 check digit (weights 3, 1
 *          from the right), also when scanned with its 420 + ZIP routing
 *          prefix (420 + 5 or 9 digits in front); or an international UPU
 *          S10 number, 2 letters + 8 digits + check digit + "US" (weights
 *          8 6 4 2 3 5 9 7, mod 11).
 *   FedEx  12, 14, 15, 20 or 22 digits (22: starting 96).  FedEx's check
 *          digits differ by service and are not published for all of them,
 *          so only the format is checked.
 *   DHL    Express waybill: 10 digits, the last one the first nine mod 7;
 *          DHL Paket: JJD + 18 digits, or 12 or 20 digits; DHL eCommerce:
 *          GM + 16 to 20 digits; UPU S10 (2 letters, 9 digits, 2 letters).
 *
 * Any other carrier: 6 to 40 letters and digits, with at least one digit. */
#ifndef RMA_TRACKING_H
#define RMA_TRACKING_H

#include <stdbool.h>
#include <stddef.h>

#define CARRIER_MAX 40
#define TRACKING_MIN 6
#define TRACKING_MAX 40

enum carrier {
    CARRIER_OTHER = 0,
    CARRIER_UPS,
    CARRIER_USPS,
    CARRIER_FEDEX,
    CARRIER_DHL,
};

/* The known carrier a customer means by name, or CARRIER_OTHER: letters and
 * digits compared without case, the whole name or its first word ("ups",
 * "Fed Ex", "FedEx Ground", "DHL eCommerce", "United Parcel Service"; not
 * "Upstate Courier"). */
enum carrier carrier_identify(const char *name);

/* The carrier's usual spelling ("UPS", "USPS", "FedEx", "DHL"); NULL for
 * CARRIER_OTHER.  Static. */
const char *carrier_name(enum carrier c);

/* Normalizes raw into out (n bytes, at least TRACKING_MAX + 1) and checks
 * it against the carrier's formats.  Returns NULL when it is valid, else a
 * short message for the customer (static). */
const char *tracking_number_check(enum carrier c, const char *raw, char *out,
                                  size_t n);

#endif
