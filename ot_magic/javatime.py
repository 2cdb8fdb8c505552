"""Java's names for time zones, read the way ``java.util.TimeZone.getTimeZone`` reads them.

>>> from ot_magic.javatime import java_zone
>>> java_zone("America/New_York").key
'America/New_York'
>>> java_zone("GMT+1")
datetime.timezone(datetime.timedelta(seconds=3600), 'GMT+01:00')
>>> java_zone("EST")
datetime.timezone(datetime.timedelta(days=-1, seconds=68400), 'EST')
"""

from __future__ import annotations

import re
from datetime import timedelta, timezone, tzinfo
from functools import cache
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
