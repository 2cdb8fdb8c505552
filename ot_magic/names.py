"""Which names a DataFrame may be bound to in the user's namespace: one check for the magic's
``--out`` and the drill-down's "Save as".

    >>> from ot_magic.names import name_problem
    >>> name_problem("visits") is None
    True
    >>> name_problem("print")
    "'print' is a Python built-in: bound to a DataFrame it would hide print() for the rest of the session; choose another name"

A name is refused when binding it would break the session: not an identifier or a keyword,
a built-in (``print``, ``len``, ``display``), a name IPython keeps for itself (``In``,
``get_ipython``, ``_``, ``_i3``) or a ``__dunder__`` name (``__builtins__``).
"""

from __future__ import annotations

import builtins
import keyword
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from IPython.core.interactiveshell import InteractiveShell

# Names the IPython shell puts in every namespace, whether or not it lists them as hidden.
_IPYTHON_NAMES = frozenset({"In", "Out", "get_ipython", "exit", "quit", "display"})
# The output and input history: _, __, ___, _7, _i, _ii, _iii, _i7, _ih, _oh, _dh.
_HISTORY = re.compile(r"_+|_\d+|_i{1,3}|_i\d+|_[ido]h")


def name_problem(name: str, shell: InteractiveShell | None = None) -> str | None:
    """Why ``name`` cannot receive a DataFrame (one line), or ``None`` when it can.

    ``shell`` (default: the running IPython, if any) adds the names it hides from ``%who``.
    """
    if not name.isidentifier() or keyword.iskeyword(name):
        return (
            f"{name!r} is not a Python name (letters, digits and _, not starting with a digit;"
            " not a keyword)"
        )
    if name in _IPYTHON_NAMES or _HISTORY.fullmatch(name) or name in _hidden(shell):
        return f"{name!r} is one of IPython's own names; choose another name"
    if name.startswith("__") and name.endswith("__"):
        return f"{name!r} is one of Python's own __names__; choose another name"
    if hasattr(builtins, name):
        return (
            f"{name!r} is a Python built-in: bound to a DataFrame it would hide {name}() for"
            " the rest of the session; choose another name"
        )
    return None


def _hidden(shell: InteractiveShell | None) -> frozenset[str]:
    if shell is None:
        from IPython import get_ipython

        shell = get_ipython()
    return frozenset(shell.user_ns_hidden) if shell is not None else frozenset()
