"""Teaches the contract test what the API document states in words: every date the API takes
is a past date (a date of birth from 1900, a clinical time), so generated dates are drawn from
1900-01-01 to today instead of from years 1 to 9999."""
from datetime import date, datetime, time, timezone

from hypothesis import strategies as st
import schemathesis

PAST_DATES = st.dates(min_value=date(1900, 1, 1), max_value=date.today())

schemathesis.openapi.format("date", PAST_DATES.map(date.isoformat))
schemathesis.openapi.format(
    "date-time",
    st.builds(
        lambda d, t: datetime.combine(d, t, tzinfo=timezone.utc).isoformat(),
        PAST_DATES.filter(lambda d: d < date.today()),
        st.times(time(0, 0), time(23, 59, 59)),
    ),
)
