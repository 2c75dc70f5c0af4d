/* test_tracking.c - carriers named freely, tracking numbers checked per
 * carrier (rules in include/rma/tracking.h), lengths at their bounds. */
#include <criterion/criterion.h>
#include <string.h>

#include "rma/tracking.h"

static const char *
check(enum carrier c, const char *raw)
{
    static char out[TRACKING_MAX + 1];
    return tracking_number_check(c, raw, out, sizeof(out));
}

static void
valid(enum carrier c, const char *raw)
{
    const char *problem = check(c, raw);
    cr_assert_null(problem, "%s refused: %s", raw, problem);
}

static void
invalid(enum carrier c, const char *raw)
{
    cr_assert_not_null(check(c, raw), "%s accepted", raw);
}

Test(carrier, names_are_recognized_loosely_but_not_by_accident)
{
    cr_assert_eq(carrier_identify("UPS"), CARRIER_UPS);
    cr_assert_eq(carrier_identify("u.p.s."), CARRIER_UPS);
    cr_assert_eq(carrier_identify("UPS Ground"), CARRIER_UPS);
    cr_assert_eq(carrier_identify("United Parcel Service"), CARRIER_UPS);
    cr_assert_eq(carrier_identify("usps"), CARRIER_USPS);
    cr_assert_eq(carrier_identify("USPS Priority Mail"), CARRIER_USPS);
    cr_assert_eq(carrier_identify("Fed Ex"), CARRIER_FEDEX);
    cr_assert_eq(carrier_identify("FedEx Ground"), CARRIER_FEDEX);
    cr_assert_eq(carrier_identify("Federal Express"), CARRIER_FEDEX);
    cr_assert_eq(carrier_identify("DHL eCommerce"), CARRIER_DHL);
    cr_assert_eq(carrier_identify("DHLExpress"), CARRIER_DHL);
    cr_assert_eq(carrier_identify("Upstate Courier"), CARRIER_OTHER);
    cr_assert_eq(carrier_identify("Royal Mail"), CARRIER_OTHER);
    cr_assert_eq(carrier_identify("DHLX"), CARRIER_OTHER);
    cr_assert_eq(carrier_identify(""), CARRIER_OTHER);
    cr_assert_str_eq(carrier_name(CARRIER_FEDEX), "FedEx");
    cr_assert_null(carrier_name(CARRIER_OTHER));
}

Test(tracking, normalized_to_upper_case_without_spaces_and_dashes)
{
    char out[TRACKING_MAX + 1];
    cr_assert_null(tracking_number_check(CARRIER_UPS, "1z 999 aa1-01 2345 6784",
                                         out, sizeof(out)));
    cr_assert_str_eq(out, "1Z999AA10123456784");
}

Test(tracking, ups_1z_with_its_check_digit)
{
    valid(CARRIER_UPS, "1Z999AA10123456784");
    invalid(CARRIER_UPS, "1Z999AA10123456785"); /* check digit */
    invalid(CARRIER_UPS, "1Z999AA1012345678");  /* 17 characters */
    invalid(CARRIER_UPS, "1Z999AA101234567840");
    invalid(CARRIER_UPS, "2Z999AA10123456784");
    valid(CARRIER_UPS, "T1234567890");
    invalid(CARRIER_UPS, "T123456789");
    invalid(CARRIER_UPS, "123456789012");
}

Test(tracking, usps_mod10_and_s10)
{
    valid(CARRIER_USPS, "9400111899223197428497");   /* 22 digits */
    invalid(CARRIER_USPS, "9400111899223197428490"); /* check digit */
    valid(CARRIER_USPS, "70123460000123456787");     /* 20 digits */
    invalid(CARRIER_USPS, "70123460000123456788");
    invalid(CARRIER_USPS, "701234600001234567"); /* 18 digits */
    /* With the routing code: 420 + ZIP (5 or 9 digits). */
    valid(CARRIER_USPS, "42089502 9400111899223197428497");
    valid(CARRIER_USPS, "420895021234 70123460000123456787");
    invalid(CARRIER_USPS, "42089502 9400111899223197428490");
    valid(CARRIER_USPS, "EC123456785US");
    invalid(CARRIER_USPS, "EC123456784US");
    invalid(CARRIER_USPS, "EC123456785GB"); /* another post's */
}

Test(tracking, fedex_by_length)
{
    valid(CARRIER_FEDEX, "123456789012");
    valid(CARRIER_FEDEX, "12345678901234");
    valid(CARRIER_FEDEX, "123456789012345");
    valid(CARRIER_FEDEX, "12345678901234567890");
    valid(CARRIER_FEDEX, "9612345678901234567890");
    invalid(CARRIER_FEDEX, "9712345678901234567890");
    invalid(CARRIER_FEDEX, "1234567890123");
    invalid(CARRIER_FEDEX, "1Z999AA10123456784");
}

Test(tracking, dhl_formats)
{
    valid(CARRIER_DHL, "1234567891"); /* 123456789 mod 7 = 1 */
    valid(CARRIER_DHL, "9876543213");
    invalid(CARRIER_DHL, "1234567892");
    valid(CARRIER_DHL, "JJD123456789012345678");
    invalid(CARRIER_DHL, "JJD12345678901234567");
    valid(CARRIER_DHL, "GM1234567890123456");
    valid(CARRIER_DHL, "GM12345678901234567890");
    invalid(CARRIER_DHL, "GM123456789012345");
    valid(CARRIER_DHL, "EC123456785GB");
    valid(CARRIER_DHL, "123456789012");
    invalid(CARRIER_DHL, "ABCDEF123");
}

Test(tracking, other_carriers_by_length_and_charset)
{
    valid(CARRIER_OTHER, "AB1234");  /* 6 */
    invalid(CARRIER_OTHER, "AB123"); /* 5 */
    char forty[41], fortyone[42];
    memset(forty, '7', 40);
    forty[40] = '\0';
    memset(fortyone, '7', 41);
    fortyone[41] = '\0';
    valid(CARRIER_OTHER, forty);
    invalid(CARRIER_OTHER, fortyone);
    invalid(CARRIER_OTHER, "ABCDEFGH"); /* no digit */
    invalid(CARRIER_OTHER, "AB12<script>");
    invalid(CARRIER_OTHER, "AB12\xc3\xa9"
                           "34");
    invalid(CARRIER_OTHER, "AB12_345");
    invalid(CARRIER_OTHER, "");
    /* Spaces do not count towards the length. */
    invalid(CARRIER_OTHER, "AB 1 2 3");
}
