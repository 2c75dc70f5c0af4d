/* test_order_lines.c - a case's devices must be on its original order
 * (order_lines.h): by model, and no more of a model than the order has. */
#include <criterion/criterion.h>

#include "rma/order_lines.h"

static const struct order_line lines[] = {
    {"NVR-8CH", 1},
    {"PSU-12V", 2},
    {"CAM-4K-OUT", 1},
};

Test(order_lines, devices_exactly_on_the_order_pass)
{
    const char *models[] = {"NVR-8CH", "PSU-12V", "PSU-12V", "CAM-4K-OUT"};
    cr_assert_eq(order_lines_first_missing(lines, 3, models, 4), -1);
}

Test(order_lines, a_model_not_on_the_order_is_named_by_its_index)
{
    const char *models[] = {"PSU-12V", "DB-PRO"};
    cr_assert_eq(order_lines_first_missing(lines, 3, models, 2), 1);
}

Test(order_lines, more_units_than_the_order_has_are_refused)
{
    const char *models[] = {"PSU-12V", "PSU-12V", "PSU-12V"};
    cr_assert_eq(order_lines_first_missing(lines, 3, models, 3), 2);
}

Test(order_lines, two_lines_of_one_model_add_up)
{
    const struct order_line twice[] = {{"PSU-12V", 1}, {"PSU-12V", 1}};
    const char *models[] = {"PSU-12V", "PSU-12V"};
    cr_assert_eq(order_lines_first_missing(twice, 2, models, 2), -1);
}

Test(order_lines, models_compare_exactly)
{
    const char *models[] = {"nvr-8ch"};
    cr_assert_eq(order_lines_first_missing(lines, 3, models, 1), 0);
}
