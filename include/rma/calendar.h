/* calendar.h - the Gregorian calendar's rules the date parsers share. */
#ifndef RMA_CALENDAR_H
#define RMA_CALENDAR_H

#include <stdbool.h>

bool calendar_leap_year(int year);

/* Days in month (1-12) of year: 28 to 31. */
int calendar_days_in_month(int year, int month);

#endif
