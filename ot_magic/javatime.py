"""Java's names for time zones, read the way ``java.util.TimeZone.getTimeZone`` reads them.

>>> from ot_magic.javatime import java_zone
>>> java_zone("America/New_York").key
'America/New_York'
>>> java_zone("GMT+1")
datetime.timezone(datetime.timedelta(seconds=3600), 'GMT+01:00')
>>> java_zone("EST")
datetime.timezone(datetime.timedelta(days=-1, seconds=68400), 'EST')
>>> format_java_ms(1321472680399, "MMM dd hh:mm a", "EST")
'Nov 16 02:44 PM'
>>> format_java_ms(1321472680399, "yyyy-dd-MM HH:mm", "GMT+1", "de_DE")
'2011-16-11 20:44'
>>> format_java_ms(1321472680399, "EEEE u 'at' h:mm a", "EST")
'Wednesday 3 at 2:44 PM'
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone, tzinfo
from functools import cache, lru_cache
from zoneinfo import ZoneInfo, available_timezones

# java.time.ZoneId.SHORT_IDS, with the three fixed ones java.util.TimeZone keeps fixed.
JAVA_SHORT_IDS: dict[str, str] = {
    "ACT": "Australia/Darwin",
    "AET": "Australia/Sydney",
    "AGT": "America/Argentina/Buenos_Aires",
    "ART": "Africa/Cairo",
    "AST": "America/Anchorage",
    "BET": "America/Sao_Paulo",
    "BST": "Asia/Dhaka",
    "CAT": "Africa/Harare",
    "CNT": "America/St_Johns",
    "CST": "America/Chicago",
    "CTT": "Asia/Shanghai",
    "EAT": "Africa/Addis_Ababa",
    "ECT": "Europe/Paris",
    "IET": "America/Indiana/Indianapolis",
    "IST": "Asia/Kolkata",
    "JST": "Asia/Tokyo",
    "MIT": "Pacific/Apia",
    "NET": "Asia/Yerevan",
    "NST": "Pacific/Auckland",
    "PLT": "Asia/Karachi",
    "PNT": "America/Phoenix",
    "PRT": "America/Puerto_Rico",
    "PST": "America/Los_Angeles",
    "SST": "Pacific/Guadalcanal",
    "VST": "Asia/Ho_Chi_Minh",
}
JAVA_FIXED_IDS: dict[str, timedelta] = {
    "EST": timedelta(hours=-5),
    "MST": timedelta(hours=-7),
    "HST": timedelta(hours=-10),
}
_GMT_OFFSET = re.compile(r"^(?:GMT|UTC)([+-])(\d{1,2})(?::?(\d{2}))?$")


@cache
def java_zone(name: str) -> tzinfo:
    """The tzinfo for a Java time-zone id; ``ValueError`` if Java would not know it."""
    if name in JAVA_FIXED_IDS:
        return timezone(JAVA_FIXED_IDS[name], name)
    if name in ("GMT", "UTC", "UT", "Z"):
        return timezone.utc
    match = _GMT_OFFSET.match(name)
    if match:
        sign, hours, minutes = match.groups()
        offset = timedelta(hours=int(hours), minutes=int(minutes or 0))
        if offset > timedelta(hours=18):
            raise ValueError(f"offset out of range in {name!r}")
        offset = -offset if sign == "-" else offset
        total = int(offset.total_seconds()) // 60
        label = f"GMT{sign}{abs(total) // 60:02d}:{abs(total) % 60:02d}"
        return timezone(offset, label)
    if name in JAVA_SHORT_IDS:
        return ZoneInfo(JAVA_SHORT_IDS[name])
    if name in _zone_names():
        return ZoneInfo(name)
    raise ValueError(f"unknown time zone {name!r}")


@cache
def _zone_names() -> frozenset[str]:
    return frozenset(available_timezones())


def zone_ids() -> list[str]:
    """Every id :func:`java_zone` accepts by name (offsets like ``GMT+1`` aside), sorted."""
    return sorted({*_zone_names(), *JAVA_SHORT_IDS, *JAVA_FIXED_IDS, "GMT", "UTC"})


# The API's own pattern for lastEvent and firstMeasurement ("Nov 17 12:44 AM").
API_DATE_PATTERN = "MMM dd hh:mm a"
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_QUOTED = re.compile(r"('(?:[^']|'')*')")
_ISO_WEEKDAY = re.compile(r"u+")


def ldml_pattern(java_pattern: str, moment: datetime) -> str:
    """A Java ``SimpleDateFormat`` pattern as an LDML pattern babel formats the same way.

    The letters mean the same in both but ``u`` (Java's day number of the week, Monday = 1),
    which LDML lacks: it becomes the number itself, as quoted text.
    """
    parts = _QUOTED.split(java_pattern)
    return "".join(
        part
        if part.startswith("'")
        else _ISO_WEEKDAY.sub(lambda run: f"'{moment.isoweekday():0{len(run[0])}d}'", part)
        for part in parts
    )


@lru_cache(maxsize=8192)  # the dates of a few warm 1000-row answers
def format_java_ms(
    epoch_ms: int, pattern: str = API_DATE_PATTERN, zone: str = "EST", locale: str = "en_US"
) -> str:
    """Epoch milliseconds formatted as Java's ``SimpleDateFormat(pattern, locale)`` in ``zone``."""
    moment = datetime.fromtimestamp(epoch_ms / 1000, java_zone(zone))
    if pattern == API_DATE_PATTERN and locale.startswith("en"):
        hour = moment.hour % 12 or 12
        noon = "AM" if moment.hour < 12 else "PM"
        return f"{_MONTHS[moment.month - 1]} {moment.day:02d} {hour:02d}:{moment.minute:02d} {noon}"
    from babel.dates import format_datetime

    return format_datetime(moment, ldml_pattern(pattern, moment), locale=locale)
