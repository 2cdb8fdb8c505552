"""Thin IPython glue: ``%%otsessions``/``%otsessions``, ``%otpanel``, ``%otparams``, ``%otlogin`` and ``OTMagic``.

    %load_ext ot_magic
    %config OTMagic.timeZone = "Europe/Amsterdam"     # defaults for parameters a cell leaves out

    %%otsessions --demo --out visits
    date = 2011-11-16
    period = 3d

    r = %otsessions --demo date=2011-11-16 "search=*google* ads"

After a run the typed DataFrame is bound to the ``--out`` name (default ``ot_sessions``) and the
magic returns the :class:`~ot_magic.result.SessionsResult`, so ``_`` holds it. ``--no-display``
(or ``%config OTMagic.display = False``) still binds the DataFrame and returns the result, but
its display is the summary line alone: no table or map is built until ``result.view`` (or
``.table``, ``.map``) is asked for.

Most specific wins: magic options > ``%config OTMagic.<trait>`` > environment (``OT_API_URL``,
``OT_SITE``, ``OT_TIMEZONE``, ``OT_LOCALE``, ``OT_LIMIT``, ``OT_TIMEOUT``) > the API's defaults;
configured defaults fill only the parameters the cell does not set.

User mistakes and API errors are one line (an IPython ``UsageError``: no traceback in a notebook,
yet a failed cell for nbclient/papermill); ``%config OTMagic.short_errors = False`` raises the
original :class:`~ot_magic.errors.OpenTrackerError` with its traceback instead.
"""

from __future__ import annotations

import argparse
import difflib
import getpass
import os
import re
import shlex
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from typing import TYPE_CHECKING, Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_cell_magic, line_magic, magics_class, no_var_expand
from IPython.core.magic_arguments import ArgDecorator, argument, magic_arguments
from traitlets import Bool, Float, Int, TraitError, Unicode, validate

from .errors import ConfigurationError, OpenTrackerError, ParameterError
from .run import Pull, Wording, configured_secrets, interrupt_cancels, run_sessions

if TYPE_CHECKING:
    from IPython.core.interactiveshell import InteractiveShell
    from tqdm.auto import tqdm

    from .client import OpenTrackerClient
    from .panel import SessionsPanel
    from .request import SessionsRequest
    from .result import SessionsResult
    from .store import SessionsDataset

    Shown = SessionsResult | SessionsDataset | SessionsPanel | None

DEFAULT_OUT = "ot_sessions"


def usage_error(name: str) -> Callable[[str], UsageError]:
    """A maker of ``UsageError``s called ``name``.

    IPython shows a one-line message only for an exception whose type *is* ``UsageError``
    (a subclass gets a traceback: IPython issue 14024), so each kind is a plain ``UsageError``
    tagged with its own ``error_type`` rather than a subclass.
    """

    def make(message: str) -> UsageError:
        error = UsageError(message)
        error.error_type = name  # type: ignore[attr-defined]
        return error

    return make


OptionError = usage_error("OptionError")
PartialResultUsageError = usage_error("PartialResultError")


def _as_usage_error(error: OpenTrackerError) -> UsageError:
    return usage_error(type(error).__name__)(str(error))


def _identifier(text: str) -> str:
    from .names import name_problem

    problem = name_problem(text)
    if problem is not None:
        raise argparse.ArgumentTypeError(problem)
    return text


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}")
    return value


def _parse_options(magic: Callable[..., Any], line: str) -> argparse.Namespace:
    """The magic's options and ``name=value`` words, in any order; quotes as in a shell."""
    try:
        words = shlex.split(line)
    except ValueError as error:  # an unclosed quote
        raise OptionError(f"cannot read the magic's line: {error}") from None
    _check_option_words(words, option_flags(magic))
    return magic.parser.parse_intermixed_args(words)


def option_flags(magic: Callable[..., Any]) -> tuple[str, ...]:
    """The option strings a magic declares: ``option_flags(OTMagic.otpanel)`` →
    ``('-o', '--out', '--demo')``."""
    return tuple(
        flag
        for decorator in reversed(getattr(magic, "decorators", []))
        if isinstance(decorator, ArgDecorator)
        for flag in getattr(decorator, "args", ())
        if isinstance(flag, str) and flag.startswith("-")
    )


_SINGLE_DASH_WORD = re.compile(r"-([A-Za-z][A-Za-z-]+)(?:=.*)?")


def _check_option_words(words: list[str], flags: tuple[str, ...]) -> None:
    """Name an unknown ``--option`` with the closest one, and explain ``-out`` (one dash reads
    it as ``-o ut``), before argparse answers "unrecognized arguments"."""
    long = [flag for flag in flags if flag.startswith("--")]
    for word in words:
        if word == "--":
            break
        single = _SINGLE_DASH_WORD.fullmatch(word)
        if single and word.split("=")[0] not in flags:
            meant = difflib.get_close_matches("--" + single.group(1), long, n=1, cutoff=0.75)
            if meant:
                typed = word.split("=")[0]
                misread = typed[:2] in flags
                raise OptionError(
                    f"{typed}: options take two dashes, as in {meant[0]}"
                    + (f" (with one dash, {typed} reads as {typed[:2]} {typed[2:]})" * misread)
                )
        if word.startswith("--"):
            name = word.split("=", 1)[0]
            if not any(flag.startswith(name) for flag in long):  # argparse takes prefixes
                meant = difflib.get_close_matches(name, long, n=1, cutoff=0.7)
                hint = f" (did you mean {meant[0]}?)" if meant else f"; options: {', '.join(long)}"
                raise OptionError(f"unrecognized option {name}{hint}")


# Options shared by %%otsessions and %otpanel.
_OUT_OPTION = argument(
    "-o",
    "--out",
    default=DEFAULT_OUT,
    type=_identifier,
    help=f"Variable that receives the DataFrame (default {DEFAULT_OUT}).",
)
_DEMO_OPTION = argument(
    "--demo", action="store_true", help="Use the built-in emulator and its demo account."
)


@magics_class
class OTMagic(Magics):
    """The ot_magic magics and their configuration: ``%config OTMagic.api_url = "demo"``."""

    api_url = Unicode(
        None, allow_none=True, help="Base URL of the API; 'demo' is the built-in emulator."
    ).tag(config=True, env="OT_API_URL")
    site = Unicode(None, allow_none=True, help="Default site(s) for requests.").tag(
        config=True, env="OT_SITE"
    )
    timeZone = Unicode(None, allow_none=True, help="Default time zone (Java id).").tag(
        config=True, env="OT_TIMEZONE"
    )
    locale = Unicode(None, allow_none=True, help="Default locale, such as en_US.").tag(
        config=True, env="OT_LOCALE"
    )
    limit = Int(None, allow_none=True, help="Default number of sessions a page.").tag(
        config=True, env="OT_LIMIT"
    )
    timeout = Float(None, allow_none=True, min=0.001, help="Seconds to wait for each answer.").tag(
        config=True, env="OT_TIMEOUT"
    )
    short_errors = Bool(True, help="One line for user and API errors; False: tracebacks.").tag(
        config=True
    )
    display = Bool(True, help="Show results (the --no-display option for every run).").tag(
        config=True
    )
    cache = Bool(True, help="Serve finished past days from the on-disk cache (%otcache).").tag(
        config=True
    )

    def __init__(self, shell: InteractiveShell | None = None, **kwargs: Any) -> None:
        super().__init__(shell=shell, **kwargs)
        self._clients: dict[tuple[str | None, float | None], OpenTrackerClient] = {}

    @validate("site", "timeZone", "locale", "limit")
    def _valid_parameter(self, proposal: Any) -> Any:
        from .params import PARAMS

        value = proposal["value"]
        if value is not None:
            try:
                PARAMS[proposal["trait"].name].parse(value)
            except ParameterError as error:
                raise TraitError(str(error)) from None
        return value

    # ------------------------------------------------------------ %%otsessions / %otsessions

    @magic_arguments()
    @_OUT_OPTION
    @argument(
        "--dry-run",
        action="store_true",
        help="Show the endpoint, the parameters (secrets as ***) and the cell; send nothing.",
    )
    @_DEMO_OPTION
    @argument(
        "--all", dest="all_pages", action="store_true", help="Follow nextToken to the last page."
    )
    @argument(
        "--max-rows",
        type=_positive_int,
        default=None,
        metavar="N",
        help="Stop after N rows (pages are followed up to N).",
    )
    @argument(
        "--no-display",
        action="store_true",
        help="Bind the DataFrame; show the summary line only (no table or map is built).",
    )
    @argument(
        "--panel",
        action="store_true",
        help="Open the widget panel filled from the cell instead of fetching.",
    )
    @argument(
        "-h",
        "--help",
        action="store_true",
        help="List these options and every parameter (as %%otparams does); send nothing.",
    )
    @argument(
        "--to",
        metavar="PATH",
        default=None,
        help="Pull every page into a Parquet dataset at PATH, a day at a time (resumable); "
        "binds a lazy handle (DuckDB/polars) instead of a DataFrame.",
    )
    @argument(
        "--refresh", action="store_true", help="Fetch finished days again instead of the cache."
    )
    @argument(
        "--record",
        metavar="NAME",
        default=None,
        help="Also save the raw answers (no credentials) as recording NAME: "
        "OT_API_URL=replay:NAME serves them offline.",
    )
    @argument(
        "params",
        nargs="*",
        metavar="name=value",
        help="Parameters, in the line form: %%otsessions date=2011-11-16 period=3d.",
    )
    @no_var_expand
    @line_cell_magic
    def otsessions(self, line: str, cell: str | None = None) -> Shown:
        """Fetch Opentracker sessions into a typed DataFrame bound to --out.

        In a cell, one parameter a line (``name = value`` or ``name: value``; ``#`` comments;
        ``{variable}`` takes a variable's value); on one line, ``name=value`` words.
        """
        args = _parse_options(self.otsessions, line)
        if args.help:
            from .help import parameter_help

            print(self.otsessions.parser.format_help().rstrip() + "\n\n" + parameter_help())
            return None
        with self._one_line_errors():
            return self._sessions(args, line, cell)

    @contextmanager
    def _one_line_errors(self) -> Iterator[None]:
        """Turn an :class:`OpenTrackerError` into a one-line ``UsageError`` (if short_errors)."""
        try:
            yield
        except OpenTrackerError as error:
            if not self.short_errors:
                raise
            raise _as_usage_error(error) from None

    def _sessions(self, args: argparse.Namespace, line: str, cell: str | None) -> Shown:
        request = self._request(args, line, cell)
        if args.panel:
            return self._panel(request, args.out, args.demo)
        if args.dry_run:
            print(self._dry_run(request, args))
            return None
        if args.to and args.max_rows is not None:
            raise OptionError("--to writes whole days: leave out --max-rows")
        pull = self._pull(args)
        progress = _Progress() if pull.paged else None
        cancel = threading.Event()
        try:
            with interrupt_cancels(cancel) if pull.paged else nullcontext():
                outcome = run_sessions(self._run_client(args), request, pull, out=args.out,
                                       namespace=self.shell.user_ns, wording=_wording(args.out),
                                       progress=progress, cancel=cancel,
                                       on_days=progress.on_days if progress else None)  # fmt: skip
        finally:
            if progress is not None:
                progress.close()
        if not outcome.ok:
            if outcome.error is not None and not self.short_errors:
                raise outcome.error
            if outcome.stopped:
                raise PartialResultUsageError(outcome.line)
            raise usage_error(type(outcome.error or OpenTrackerError()).__name__)(outcome.line)
        if hasattr(outcome.value, "show_views"):
            outcome.value.show_views = not args.no_display and self.display
        return outcome.value

    def _request(self, args: argparse.Namespace, line: str, cell: str | None) -> SessionsRequest:
        from .request import SessionsRequest

        namespace = self.shell.user_ns
        secrets = configured_secrets()  # the user's own, even with --demo: never echoed
        if cell is None:
            request = SessionsRequest.from_arguments(args.params, namespace, secrets)
        elif args.params:
            raise OptionError(
                "write the parameters in the cell, one a line, not on the %%otsessions line "
                f"(got {args.params[0]!r})"
            )
        else:
            # with its %%otsessions line, so that errors count lines as the notebook shows them
            request = SessionsRequest.from_cell(f"%%otsessions {line}\n{cell}", namespace, secrets)
        for name, (value, source) in self._defaults(args.demo).items():
            if name not in request.params:
                try:
                    request = request.replace(**{name: value})
                except ParameterError as error:
                    raise ParameterError(
                        name, error.accepted, value, message=f"{source}: {error}"
                    ) from None
        return request

    def _defaults(self, demo: bool) -> dict[str, tuple[Any, str]]:
        """The configured defaults of request parameters, each with where it came from."""
        names = ["timeZone", "locale", "limit"] + ([] if demo else ["site"])
        found = {}
        for name in names:
            value, source = self._setting(name)
            if value is not None:
                found[name] = (value, source)
        return found

    def _setting(self, name: str) -> tuple[Any, str]:
        """A trait's value: ``%config`` first, then its environment variable; else ``None``."""
        value = getattr(self, name)
        if value is not None:
            return value, f"%config OTMagic.{name}"
        env = self.traits()[name].metadata.get("env")
        if env and os.environ.get(env):
            return os.environ[env], f"environment variable {env}"
        return None, ""

    def _client(self, demo: bool) -> OpenTrackerClient:
        """One client per API URL and timeout, so its connection pool is reused."""
        from .client import OpenTrackerClient

        api_url = "demo" if demo else self._setting("api_url")[0]
        timeout, source = self._setting("timeout")
        if timeout is not None:
            try:
                timeout = float(timeout)
            except ValueError:
                timeout = 0.0
            if not timeout > 0:
                raise ConfigurationError(f"{source}: expected a number of seconds above 0")
        key = (api_url, timeout)
        if key not in self._clients:
            kwargs = {"timeout": timeout} if timeout is not None else {}
            from .replay import client_for, is_replay

            make = client_for if is_replay(api_url) else OpenTrackerClient
            self._clients[key] = make(api_url, **kwargs)
        return self._clients[key]

    def close_clients(self) -> None:
        """Close the HTTP sessions kept between runs (the next run opens a fresh one)."""
        for client in self._clients.values():
            client.close()
        self._clients.clear()

    def _dry_run(self, request: SessionsRequest, args: argparse.Namespace) -> str:
        """What a run would send (secrets as ***) and the equivalent cell; nothing is sent."""
        from .params import ENDPOINT_PATHS, PARAMS

        client = self._client(args.demo)
        paging = args.all_pages or args.max_rows is not None or "nextToken" in request.params
        form = {**request.to_api_params(), "dataType": "jsondatatable" if paging else "json"}
        try:
            account, missing = client.credentials().form(), ""
        except OpenTrackerError as error:  # no credentials: say so, show the rest
            account, missing = {}, f"  ({error})"
        secret = {name for name, param in PARAMS.items() if param.secret}
        form.update({name: "***" if name in secret else v for name, v in account.items()})
        lines = ["Dry run: nothing was sent.", f"POST {client.api_url}{ENDPOINT_PATHS['sessions']}"]
        lines += [f"  {name} = {value}" for name, value in form.items()]
        lines += [missing] if missing else []
        if paging:
            lines.append("  (then one request a page, following nextToken)")
        lines += ["", request.to_cell(magic_line=_magic_line(args)).rstrip("\n")]
        return "\n".join(lines)

    def _panel(self, request: SessionsRequest, out: str, demo: bool) -> SessionsPanel:
        from .panel import SessionsPanel

        return SessionsPanel.from_request(request, out=out, demo=demo, client=self._client(demo))

    # ------------------------------------------------------------ %otparams

    @no_var_expand
    @line_magic
    def otparams(self, line: str) -> None:
        """List the parameters of %%otsessions: kind, default, what each accepts and does.

        ``%otparams`` lists all, grouped as the panel groups them; ``%otparams country`` those
        whose name, everyday synonyms or help mention "country".
        """
        from .help import parameter_help

        print(parameter_help(line.split()))

    # ------------------------------------------------------------ --to, --refresh, --record, %otcache

    def _pull(self, args: argparse.Namespace) -> Pull:
        """How much the cell fetches: into a dataset (``--to``), else into memory with finished
        days from the cache (not with ``--record``, which must see every answer)."""
        from .cache import DayCache

        use_cache = self.cache and not args.record and not args.to
        return Pull(all_pages=args.all_pages, max_rows=args.max_rows, to=args.to,
                    refresh=args.refresh or bool(args.record),
                    cache=DayCache() if use_cache else None)  # fmt: skip

    def _run_client(self, args: argparse.Namespace) -> OpenTrackerClient:
        """The cell's client; with ``--record``, one that also saves the raw answers."""
        client = self._client(args.demo)
        if not args.record:
            return client
        from .replay import recording_client

        api_url = "demo" if args.demo else self._setting("api_url")[0]
        return recording_client(api_url, args.record, timeout=client.timeout)

    @magic_arguments()
    @argument("--clear", action="store_true", help="Remove the cached days.")
    @argument("--source", default=None, help="Only those of this API: demo, replay:NAME, a URL.")
    @no_var_expand
    @line_magic
    def otcache(self, line: str) -> None:
        """Show the finished days kept on disk (a repeated cell asks nothing for them), or
        clear them: ``%otcache``, ``%otcache --clear``."""
        from .cache import DayCache

        args = _parse_options(self.otcache, line)
        cache = DayCache()
        if args.clear:
            print(f"Removed {cache.clear(args.source)} cached entries from {cache.directory}.")
        else:
            print(cache.describe())

    # ------------------------------------------------------------ %otpanel

    @magic_arguments()
    @_OUT_OPTION
    @_DEMO_OPTION
    @no_var_expand
    @line_magic
    def otpanel(self, line: str) -> SessionsPanel | None:
        """Show the widget panel, whose Run binds its DataFrame to --out."""
        args = _parse_options(self.otpanel, line)
        from .panel import SessionsPanel

        with self._one_line_errors():
            return SessionsPanel(out=args.out, demo=args.demo, client=self._client(args.demo))

    # ------------------------------------------------------------ %otlogin

    @magic_arguments()
    @argument(
        "--ticket",
        action="store_true",
        help="Exchange login and password for an expiring ticket at once (login_user.jsp).",
    )
    @argument(
        "--expires",
        type=_positive_int,
        default=None,
        metavar="SECONDS",
        help="How long the ticket stays valid (with --ticket).",
    )
    @no_var_expand
    @line_magic
    def otlogin(self, line: str) -> None:
        """Ask for the Opentracker login and password; keep them in memory for this kernel."""
        args = _parse_options(self.otlogin, line)
        from . import credentials

        login = input("Opentracker login (email): ").strip()
        password = getpass.getpass("Opentracker password: ")
        if not login or not password:
            raise OptionError("login and password are both needed; nothing was kept")
        credentials.remember(login, password)
        del password  # not a local of this frame while the ticket is fetched (verbose tracebacks)
        self.close_clients()  # a ticket from an earlier login must not outlive it
        if not args.ticket:
            print(f"Logged in as {login} (kept in memory for this kernel only).")
            return
        with self._one_line_errors():
            try:
                kwargs = {"expires": args.expires} if args.expires else {}
                ticket = self._client(False).login_ticket(**kwargs)
            except OpenTrackerError:
                credentials.forget()
                raise
        print(
            f"Logged in as {login}; requests now carry a ticket instead of the password "
            f"(valid {ticket.expires} s, renewed before it lapses while this kernel runs)."
        )


class _Progress:
    """A progress bar for multi-page pulls: it appears with the second page, not before. A pull
    by days counts days against their total (so the bar shows an ETA), rows and pages beside."""

    def __init__(self) -> None:
        self.bar: tqdm | None = None
        self.by_days = False
        self.rows = self.pages = 0

    def __call__(self, rows: int, pages: int) -> None:
        self.rows, self.pages = rows, pages
        if self.by_days:
            self.bar.set_postfix_str(f"{rows:,} rows, {pages:,} pages")
            return
        if self.bar is None and pages < 2:
            return
        if self.bar is None:
            self.bar = self._new(unit=" pages")
        self.bar.set_postfix_str(f"{rows:,} rows", refresh=False)
        self.bar.update(pages - self.bar.n)

    def on_days(self, done: int, total: int) -> None:
        if total < 2:
            return
        if not self.by_days:
            self.close()
            self.bar, self.by_days = self._new(unit=" days", total=total), True
            self.bar.set_postfix_str(f"{self.rows:,} rows, {self.pages:,} pages", refresh=False)
        self.bar.update(done - self.bar.n)

    @staticmethod
    def _new(**options: Any) -> tqdm:
        from tqdm.auto import tqdm

        return tqdm(desc="otsessions", leave=False, mininterval=0, miniters=1, **options)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _magic_line(args: argparse.Namespace) -> str:
    """The ``%%otsessions`` line with the options of ``args`` that change what is fetched."""
    line = f"%%otsessions --out {args.out}"
    line += " --demo" * args.demo + " --all" * args.all_pages
    if args.max_rows is not None:
        line += f" --max-rows {args.max_rows}"
    return line


def _wording(out: str) -> Wording:
    """How the magic says to fetch the rest: the exact cell options and lines."""
    from .paging import resume_text

    def rest(resume: dict[str, str]) -> str:
        again = f"run the cell again with --all --out {out}_rest and"
        if set(resume) == {"nextToken"}:
            return f"{again} this line added: {resume_text(resume)}"
        replaced = " and ".join(name for name in resume if name != "nextToken")
        return f"{again} these lines in place of its own {replaced}: {resume_text(resume)}"

    return Wording(every="run the cell with --all", rest=rest, cancelled="Interrupted")


def register(ipython: InteractiveShell) -> OTMagic:
    """Register the magics, ``OTMagic``'s configuration and Tab completion
    (``%load_ext ot_magic`` calls this)."""
    stale = [c for c in ipython.configurables if type(c).__name__ == "OTMagic"]  # %reload_ext
    for configurable in stale:
        ipython.configurables.remove(configurable)
    magics = OTMagic(shell=ipython)
    ipython.register_magics(magics)
    if getattr(ipython, "Completer", None) is not None:
        from . import completion

        completion.register(ipython)
    return magics


__all__ = ["DEFAULT_OUT", "OTMagic", "register", "usage_error"]
