/* calendar.c - the Gregorian calendar's rules the date parsers share. */
#include "rma/calendar.h"

bool
calendar_leap_year(int year)
{
    return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

int
calendar_days_in_month(int year, int month)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (month < 1 || month > 12)
        return 0;
    return month == 2 && calendar_leap_year(year) ? 29 : days[month - 1];
}
