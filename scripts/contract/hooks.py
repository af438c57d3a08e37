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


@schemathesis.hook
def filter_query(ctx, query):
    """A query parameter whose value is null or an empty list or object is left out of the URL
    by the HTTP client, so such a case is the same request as one without the parameter: for an
    optional parameter, a valid request (the network view's period, for one, defaults to the
    last whole quarter), which schemathesis would otherwise report as invalid data accepted."""
    if not isinstance(query, dict):
        return True
    return all(value is not None and value != [] and value != {} for value in query.values())
