"""Java SimpleDateFormat patterns as the emulator formats them (its own rules, not the client's)."""

from __future__ import annotations

import pytest

from ot_magic.emulator.rules import API_DATE_PATTERN, format_date

EVENT = 1321472680399  # 2011-11-16 19:44:40.399 UTC, a Wednesday


@pytest.mark.parametrize(
    ("pattern", "zone", "locale", "expected"),
    [
        (API_DATE_PATTERN, "EST", "en_US", "Nov 16 02:44 PM"),
        (API_DATE_PATTERN, "GMT+5", "en_US", "Nov 17 12:44 AM"),
        (API_DATE_PATTERN, "Europe/Amsterdam", "nl_NL", "nov 16 08:44 p.m."),
        ("yyyy-dd-MM", "EST", "en_US", "2011-16-11"),
        ("yyyy-MM-dd 'at' HH:mm:ss.SSS z", "EST", "en_US", "2011-11-16 at 14:44:40.399 EST"),
        ("EEEE u", "EST", "en_US", "Wednesday 3"),
        ("EEEE, d MMMM yyyy", "Europe/Berlin", "de_DE", "Mittwoch, 16 November 2011"),
        ("h:mm a, ''yy", "America/New_York", "en_US", "2:44 PM, '11"),
        ("d MMMM yyyy", "EST", "sr_Latn_RS", "16 novembar 2011"),
        (API_DATE_PATTERN, "EST", "zz", "Nov 16 02:44 PM"),  # no resources: the root locale
        ("yyyy-MM-dd HH:mm", "UTC+05:30", "en_US", "2011-11-17 01:14"),
        # Number fields pad to their letter count; text fields are long from four letters.
        ("dddd/MMM/SSSS S kk", "EST", "en_US", "0016/Nov/0399 399 14"),
        ("y" * 40, "EST", "en_US", "2011".zfill(40)),
        ("EEEEEE GGGG MMMMMM", "EST", "en_US", "Wednesday AD November"),
        ("D F w W", "EST", "en_US", "320 3 47 3"),
    ],
)
def test_java_patterns_format_like_simpledateformat(pattern, zone, locale, expected):
    assert format_date(EVENT, pattern, zone, locale) == expected
