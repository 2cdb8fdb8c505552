"""How low the year pull's frame could go per session, one change of the frame's contract at a
time (each on top of the ones before): what stands between the frame and 500 B/session.

Measured as the target is (``df.memory_usage(deep=True)`` per session) on the ``--demo --all``
pull of ``DAYS`` days up to 2011-12-31; none of these changes is made in ``ot_magic``:

1. unique text (ids, referrer links, IPs) with 4-byte string offsets (``pa.string()``) instead of
   the documented Arrow-backed ``string`` dtype (8-byte offsets);
2. counts as ``Int32`` instead of the documented ``Int64``;
3. referrer links and the ``lastEvent``/``firstMeasurement`` texts as categoricals;
4. ``rnd`` as a number;
5. without the columns the API sends twice under two names (``visit_id`` = ``session_id``,
   ``machine_idx`` = ``use_id``, ``postal_code`` = ``zipCode``, ``country_name`` = ``country``,
   ``currentVisitDuration`` = ``duration``, ``number_of_pages_viewed`` and ``pages_viewed`` =
   ``pageviews``, ``number_visits`` and ``total_number_visits`` = ``visits``; equal in every row of
   the emulator's answers, as in the reference sample's): the frame would no longer have a
   column per ``field``.

    python -m benchmarks.frame_floor [DAYS]      # 365 by default (about a minute)
"""

from __future__ import annotations

import sys

import pandas as pd
import pyarrow as pa

from ot_magic import OpenTrackerClient, SessionsRequest, schema

DUPLICATES = ("visit_id", "machine_idx", "postal_code", "country_name", "currentVisitDuration",
              "number_of_pages_viewed", "pages_viewed", "number_visits", "total_number_visits")  # fmt: skip
TARGET = 500


def floor(days: int) -> list[tuple[str, float]]:
    """Bytes per session of the frame as it is, then after each change (cumulative)."""
    request = SessionsRequest(date="2011-12-31", period=f"{days}d", limit=1000)
    df = OpenTrackerClient("demo").sessions(request, all_pages=True).df
    rows = len(df)

    def per_session(frame: pd.DataFrame) -> float:
        return float(frame.memory_usage(deep=True, index=False).sum()) / rows

    steps = [("as the frame is", per_session(df))]
    unique = [name for name in df if name in schema.UNIQUE_TEXT_FIELDS]
    df = df.astype({name: pd.ArrowDtype(pa.string()) for name in unique})
    steps.append(("unique text with 4-byte offsets", per_session(df)))
    df = df.astype({name: "Int32" for name in df if df[name].dtype == "Int64"})
    steps.append(("counts as Int32", per_session(df)))
    texts = ("referrer", "session_referrer", "lastEvent", "firstMeasurement")
    df = df.astype({name: "category" for name in texts if name in df})
    steps.append(("referrer links, lastEvent, firstMeasurement as categoricals", per_session(df)))
    df["rnd"] = pd.to_numeric(df["rnd"].astype("string")).astype("Int32")
    steps.append(("rnd as Int32", per_session(df)))
    df = df.drop(columns=[name for name in DUPLICATES if name in df])
    steps.append(("without the API's duplicate columns", per_session(df)))
    return steps


def main() -> None:
    days = int(sys.argv[1]) if len(sys.argv) > 1 else 365
    for what, value in floor(days):
        print(f"{value:7.1f} B/session  {what}")
    print(f"target: <= {TARGET} B/session")


if __name__ == "__main__":
    main()
