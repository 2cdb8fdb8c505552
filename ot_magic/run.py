"""One run of a request, whoever asks: the ``%%otsessions`` magic, the panel's Run and the
drill-down's buttons. Each caller keeps its own UI (a tqdm bar or a widget, a ``UsageError`` or
a status line); this module does the rest, the same way for all three::

    >>> from ot_magic.run import Pull, Wording, run_sessions
    >>> wording = Wording(every="add --all", rest=lambda resume: f"add {resume}")
    >>> outcome = run_sessions(client, request, Pull(all_pages=True), out="visits",
    ...                        namespace=shell.user_ns, wording=wording)   # doctest: +SKIP
    >>> outcome.ok, outcome.line                                          # doctest: +SKIP
    (True, '9,902 sessions, 10 pages, 1.25 s → visits')

- **fetch**: :func:`run_sessions` pulls through :mod:`ot_magic.bulk` (``--to`` into a dataset,
  else into memory with finished days from a :class:`~ot_magic.cache.DayCache`, if given);
  :func:`run_call` runs any other fetch (a drill-down's ``client.page_views(...)``);
  :func:`in_background` runs either in a worker thread (the panel);
- **check**: before any request, the out name (:func:`ot_magic.names.name_problem`) and the
  request's values (none may hold a configured password or ticket: :func:`secrets_of`);
- **progress and cancel**: ``progress(rows, pages)`` and a ``cancel`` event, passed through;
  :func:`interrupt_cancels` makes Ctrl-C set that event during a multi-page pull;
- **bind**: :func:`bind` puts the DataFrame (or the dataset) under the out name, rows kept by a
  failed or cancelled pull included;
- **outcome**: one line (:class:`Outcome`): what came and where it went, or what stopped it,
  where the rows read are and the exact steps that fetch the rest, in the caller's
  :class:`Wording`.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable, Iterator, MutableMapping
from concurrent.futures import Future
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from .errors import OpenTrackerError, ParameterError, PartialResultError
from .names import name_problem

if TYPE_CHECKING:
    from .cache import DayCache
    from .client import OpenTrackerClient
    from .paging import OnDays, Progress
    from .request import SessionsRequest
    from .result import SessionsResult
    from .store import SessionsDataset

T = TypeVar("T")


@dataclass(frozen=True)
class Pull:
    """How much a run fetches, as the magic's options and the panel's checkbox say it:
    ``Pull(all_pages=True, max_rows=500)``; ``to`` a dataset path (``--to``), ``refresh``
    fetches finished days again, ``cache`` serves them from disk (``None``: no cache)."""

    all_pages: bool = False
    max_rows: int | None = None
    to: str | os.PathLike[str] | None = None
    refresh: bool = False
    cache: DayCache | None = None

    @property
    def paged(self) -> bool:
        """Whether more than one page may be read (a progress bar and Ctrl-C are worth it)."""
        return bool(self.all_pages or self.max_rows or self.to)


@dataclass(frozen=True)
class Wording:
    """How a front end says to get more rows, in the words of its own controls.

    ``every``: how to ask for every row (``"tick 'all pages' (--all)"``); ``rest(resume)``: the
    exact steps that fetch what is left, given the parameters that do (``{"nextToken": ...}``);
    ``cancelled``: what a stop asked by the user is called (``"Interrupted"`` for Ctrl-C).
    """

    every: str
    rest: Callable[[dict[str, str]], str]
    cancelled: str = "Cancelled"


@dataclass(frozen=True)
class Outcome:
    """What a run gave: ``value`` (a ``SessionsResult``, a ``SessionsDataset`` or ``None``),
    bound to the out name if any; ``line``, the one line to show; ``ok`` False when the line
    says what went wrong or what was left (the rows read are bound all the same); ``error``
    the original exception (for ``%config OTMagic.short_errors = False``)."""

    value: SessionsResult | SessionsDataset | None = None
    line: str = ""
    ok: bool = True
    error: BaseException | None = None
    stopped: bool = False  # cut short (cancel, Ctrl-C, a later page failing): rows are left


# --- checks before any request ---------------------------------------------------------------


def configured_secrets() -> tuple[str, ...]:
    """Every password and ticket the user configured (%otlogin, OT_PASSWORD, OT_TICKET_ID),
    whichever of them a request would carry: a value holding one is refused, not echoed."""
    from . import credentials

    remembered = credentials.remembered()
    found = [*(remembered.secrets if remembered is not None else ())]
    found += [os.environ.get(name, "") for name in ("OT_PASSWORD", "OT_TICKET_ID")]
    return tuple(secret for secret in found if secret)


def secrets_of(client: OpenTrackerClient | None) -> tuple[str, ...]:
    """The configured secrets and those ``client`` carries (not the demo account's, which is
    public): ``request.check_secrets(secrets_of(client))``."""
    found = list(configured_secrets())
    if client is not None and not client.is_demo:
        with suppress(OpenTrackerError):  # none configured: the fetch itself will say so
            found += client.credentials().secrets
    return tuple(dict.fromkeys(found))


def check(request: SessionsRequest, client: OpenTrackerClient | None, out: str | None) -> None:
    """The one-line :class:`ParameterError` a run refuses before sending anything: an out name
    that would break the session, or a value holding the user's password or ticket."""
    if out is not None and (problem := name_problem(out)) is not None:
        raise ParameterError("out", "a Python name", out, message=f"out: {problem}")
    request.check_secrets(secrets_of(client))


# --- binding ---------------------------------------------------------------------------------


def bind(
    namespace: MutableMapping[str, Any] | None,
    name: str,
    value: SessionsResult | SessionsDataset,
) -> str | None:
    """Bind ``value`` (a ``SessionsResult``'s DataFrame, or a dataset) to ``name``: ``None``
    when done, else why not (one line), the same check as ``--out``::

        bind(shell.user_ns, "visits", result)      # visits is result.df
    """
    if (problem := name_problem(name)) is not None:
        return problem
    if namespace is None:
        return "no IPython namespace here"
    namespace[name] = getattr(value, "df", value)
    return None


def user_namespace() -> MutableMapping[str, Any] | None:
    """The running IPython shell's namespace, if there is one."""
    from IPython import get_ipython

    shell = get_ipython()
    return shell.user_ns if shell is not None else None


# --- the run ---------------------------------------------------------------------------------


def run_sessions(
    client: OpenTrackerClient,
    request: SessionsRequest,
    pull: Pull,
    *,
    out: str,
    namespace: MutableMapping[str, Any] | None,
    wording: Wording,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
    catch_all: bool = False,
    on_days: OnDays | None = None,
) -> Outcome:
    """Check, fetch, bind to ``out`` and say so in one line; see the module's docstring.
    ``on_days(done, total)`` hears how many days of a pull by days are complete (a progress
    bar's total and ETA).

    An :class:`~ot_magic.errors.OpenTrackerError` becomes a failed :class:`Outcome` (its rows,
    if a later page failed, bound); other exceptions too with ``catch_all`` (a widget callback
    must never fail silently), else they propagate. ``cancel`` set during the run (the
    panel's Cancel, Ctrl-C under :func:`interrupt_cancels`) keeps the rows read and says how
    to go on.
    """
    try:
        check(request, client, out)
    except ParameterError as error:
        return Outcome(line=str(error), ok=False, error=error)
    cancel = cancel if cancel is not None else threading.Event()
    if pull.to is not None:
        return _run_to(
            client, request, pull, out, namespace, progress, cancel, catch_all, wording, on_days
        )
    from . import bulk

    def fetch() -> SessionsResult:
        return bulk.fetch(client, request, all_pages=pull.all_pages, max_rows=pull.max_rows,
                          progress=progress, cancel=cancel, refresh=pull.refresh,
                          cache=pull.cache, on_days=on_days)  # fmt: skip

    outcome = run_call(fetch, catch_all=catch_all)
    result = outcome.value
    if isinstance(outcome.error, PartialResultError):
        result = outcome.error.partial
    if result is None:
        return outcome
    problem = bind(namespace, out, result)
    if problem is not None:
        return Outcome(result, f"the rows could not be bound: {problem}", False)
    if isinstance(outcome.error, PartialResultError):
        line = stopped_line(str(outcome.error), len(result.df), outcome.error.resume, out, wording)
        return Outcome(result, line, False, outcome.error, stopped=True)
    if cancel.is_set():
        reason = f"{wording.cancelled} after {_pages(result)} in {result.elapsed:.2f} s"
        line = stopped_line(reason, len(result.df), result.resume, out, wording)
        return Outcome(result, line, False, stopped=True)
    return Outcome(result, done_line(result, out, wording))


def run_call(fetch: Callable[[], T], *, catch_all: bool = False) -> Outcome:
    """``fetch()`` as an :class:`Outcome`: its value, or the one line of what went wrong::

    run_call(lambda: client.page_views(visit_id), catch_all=True)
    """
    try:
        return Outcome(fetch())
    except OpenTrackerError as error:
        return Outcome(line=str(error), ok=False, error=error)
    except Exception as error:
        if not catch_all:
            raise
        return Outcome(line=f"{type(error).__name__}: {error}", ok=False, error=error)


def _run_to(
    client: OpenTrackerClient,
    request: SessionsRequest,
    pull: Pull,
    out: str,
    namespace: MutableMapping[str, Any] | None,
    progress: Progress | None,
    cancel: threading.Event,
    catch_all: bool,
    wording: Wording,
    on_days: OnDays | None = None,
) -> Outcome:
    """``--to``: a day at a time into the dataset at ``pull.to``, bound to ``out`` however
    the pull ends (the complete days are there)."""
    from . import bulk
    from .store import SessionsDataset

    report = bulk.PullReport()

    def fetch() -> SessionsDataset:
        return bulk.pull_to(client, request, pull.to, refresh=pull.refresh, progress=progress,
                            cancel=cancel, report=report, on_days=on_days)  # fmt: skip

    outcome = run_call(fetch, catch_all=catch_all)
    if isinstance(outcome.error, PartialResultError):
        bind(namespace, out, SessionsDataset(pull.to))
        line = f"{outcome.error} (the dataset is bound to {out})"
        return Outcome(None, line, False, outcome.error, stopped=True)
    if outcome.value is None:
        return outcome
    dataset = outcome.value
    bind(namespace, out, dataset)
    kept = len(report.written) + len(report.skipped)
    if report.left:
        line = (
            f"{wording.cancelled}. {kept} complete days are in {dataset.path} (bound to {out}); "
            f"run the same cell again to fetch the other {len(report.left)} (complete days "
            "are skipped)"
        )
        return Outcome(dataset, line, False, stopped=True)
    line = f"{kept} days, {report.pages} pages → {dataset.path} (bound to {out})"
    return Outcome(dataset, line)


# --- the one line ------------------------------------------------------------------------------


def done_line(result: SessionsResult, out: str, wording: Wording) -> str:
    """``'40 sessions, 1 page, 0.21 s → visits'``, and how to get more when more exist."""
    rows = len(result.df)
    text = f"{rows:,} session{'s' * (rows != 1)}, {_pages(result)}, {result.elapsed:.2f} s → {out}"
    if result.resume:
        text += (
            f" · more rows exist: {wording.every} for every one; to fetch the rest,"
            f" {wording.rest(result.resume)}"
        )
    elif result.more:
        text += f" · more rows exist: {wording.every} for every one"
    return text


def _pages(result: SessionsResult) -> str:
    return f"{result.pages} page{'s' * (result.pages != 1)}"


def stopped_line(
    reason: str, rows: int, resume: dict[str, str] | None, out: str, wording: Wording
) -> str:
    """``reason``, where the rows read are, and the exact steps that fetch the rest."""
    line = f"{reason}. The {rows} rows read are in {out}"
    if resume:
        line += f"; to fetch the rest, {wording.rest(resume)}"
    return line


# --- cancel: the panel's Cancel, Ctrl-C ------------------------------------------------------------


@contextmanager
def interrupt_cancels(cancel: threading.Event) -> Iterator[None]:
    """While a multi-page pull runs, the first Ctrl-C (Jupyter's "Interrupt the kernel") sets
    ``cancel``, so the pull ends after the pages being read and keeps their rows; a second
    interrupts at once, as usual. Outside the main thread it does nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGINT)

    def stop_after_this_page(signum: int, frame: Any) -> None:
        cancel.set()
        signal.signal(signal.SIGINT, previous)

    signal.signal(signal.SIGINT, stop_after_this_page)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def in_background(work: Callable[[], T], name: str) -> Future[T]:
    """``work()`` in a daemon thread; its value (or exception) in the returned future, which
    is already running: ``in_background(lambda: run_sessions(...), "ot-panel-visits")``."""
    future: Future[T] = Future()
    future.set_running_or_notify_cancel()

    def target() -> None:
        try:
            future.set_result(work())
        except BaseException as error:  # the future holds it; the thread ends quietly
            future.set_exception(error)

    threading.Thread(target=target, name=name, daemon=True).start()
    return future


__all__ = [
    "Outcome",
    "Pull",
    "Wording",
    "bind",
    "check",
    "configured_secrets",
    "done_line",
    "in_background",
    "interrupt_cancels",
    "run_call",
    "run_sessions",
    "secrets_of",
    "stopped_line",
]
