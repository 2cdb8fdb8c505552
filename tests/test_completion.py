"""Tab completion: what a cell or line completes to, in a real IPython shell and a real kernel."""

from __future__ import annotations

import pytest
from IPython.core.completer import provisionalcompleter

from ot_magic.completion import complete
from ot_magic.params import USER_PARAMS, country_codes


def candidates(text: str, namespace: dict | None = None) -> tuple[str, ...]:
    found = complete(text, namespace or {})
    assert found is not None, text
    return found.candidates


# --- what completes to what --------------------------------------------------------------------


def test_a_parameter_name_completes_from_its_start_in_any_case():
    assert candidates("%%otsessions\ninc") == ("includeCountryCode",)
    assert candidates("%%otsessions\nTIME") == ("timeZone",)
    assert set(candidates("%%otsessions\n")) == set(USER_PARAMS)


def test_an_everyday_word_completes_to_the_parameter_it_means():
    assert candidates("%%otsessions\ncountr") == ("includeCountryCode",)
    assert candidates("%%otsessions\nreferr") == ("search",)
    assert "orderCriteria" in candidates("%%otsessions\nsort")


def test_names_already_set_in_the_cell_are_not_offered_again():
    assert candidates("%%otsessions\nlimit = 5\nli") == ()
    assert candidates("%otsessions limit=5 li") == ()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("useOr = ", ("true", "false")),
        ("removeIsp = t", ("true",)),
        ("period = 3", ("3d", "3w", "3m")),
        ("timeZone = Europe/Ams", ("Europe/Amsterdam",)),
        ("timeZone = amster", ("Europe/Amsterdam",)),
        ("locale = sr_Latn_R", ("sr_Latn_RS",)),
        ("showColumns = city, filtered_", ("filtered_company",)),
        ("orderCriteria = duration d", ("duration desc",)),
        (
            "includeCountryCode = US, U",
            tuple(sorted(c for c in country_codes() if c[0] == "U" and c != "US")),
        ),
    ],
)
def test_enumerated_values_complete_after_the_name(text, expected):
    assert candidates(f"%%otsessions\n{text}") == expected


def test_a_list_completes_its_last_item_and_leaves_out_the_items_already_given():
    found = complete("%%otsessions\nincludeCountryCode = GB, g", {})
    assert found.fragment == "g" and "GB" not in found.candidates and "GR" in found.candidates


def test_a_variable_completes_inside_braces_with_its_closing_brace():
    namespace = {"max_seconds": 60, "max_rows": 5, "_hidden": 1, "In": []}
    found = complete("%%otsessions\nmaxDuration = {max", namespace, hidden=["In"])
    assert found.fragment == "max" and found.candidates == ("max_rows}", "max_seconds}")
    assert complete("%%otsessions\nlimit = {", namespace, after="}", hidden=["In"]).candidates == (
        "max_rows",
        "max_seconds",
    )


def test_a_variable_completes_in_the_line_form_too():
    found = complete("r = %otsessions --demo maxDuration={max_s", {"max_seconds": 60})
    assert found.fragment == "max_s" and found.candidates == ("max_seconds}",)


def test_options_complete_on_the_magic_line_and_in_the_line_form():
    assert candidates("%%otsessions --o") == ("--out",)
    assert candidates("%%otsessions --demo --n") == ("--no-display",)
    assert candidates("r = %otsessions --dr") == ("--dry-run",)


def test_the_line_form_completes_names_with_their_equals_sign_and_then_values():
    assert candidates("%otsessions --demo inc") == ("includeCountryCode=",)
    assert candidates("%otsessions --demo timeZone=America/New_") == ("America/New_York",)


def test_nothing_is_offered_outside_the_magic_or_in_a_comment():
    assert complete("x = 1\nprin", {}) is None
    assert complete("%%otsessions\n# lim", {}) is None
    assert complete("%%otsessions\nsearch = x  # tim", {}) is None


# --- through IPython's completer ---------------------------------------------------------------


def completions_in(shell, code: str) -> list:
    with provisionalcompleter():
        return list(shell.Completer.completions(code, len(code)))


def test_tab_in_a_real_ipython_shell_completes_the_cell_and_keeps_python_out(ip):
    ip.user_ns["max_seconds"] = 60
    code = "%%otsessions --demo\ndate = 2011-11-16\ntimeZone = Europe/Ams"
    (only,) = completions_in(ip, code)
    assert only.text == "Europe/Amsterdam" and code[only.start : only.end] == "Europe/Ams"
    texts = [c.text for c in completions_in(ip, "%%otsessions\nmaxDuration = {max_s")]
    assert texts == ["max_seconds}"]
    assert "print" in [c.text for c in completions_in(ip, "x = 1\nprin")]  # Python as before


def test_reloading_the_extension_keeps_one_matcher(ip):
    ip.run_line_magic("reload_ext", "ot_magic")
    ids = [getattr(m, "matcher_identifier", "") for m in ip.Completer.custom_matchers]
    assert ids.count("ot_magic.completion") == 1


def test_a_complete_request_to_a_real_kernel_completes_the_cell():
    """What JupyterLab does on Tab: a complete_request to the stock ipykernel."""
    from jupyter_client.manager import start_new_kernel

    manager, client = start_new_kernel(kernel_name="python3", startup_timeout=60)
    try:
        reply = client.execute_interactive("%load_ext ot_magic\nmax_seconds = 60", timeout=60)
        assert reply["content"]["status"] == "ok"

        def ask(code: str) -> dict:
            msg_id = client.complete(code, len(code))
            reply = client.get_shell_msg(timeout=30)
            assert reply["parent_header"]["msg_id"] == msg_id
            return reply["content"]

        cell = "%%otsessions --demo\nincludeCountryCode = US, G"
        content = ask(cell)
        assert "GB" in content["matches"] and "print" not in content["matches"]
        assert cell[content["cursor_start"] : content["cursor_end"]] == "G"
        assert ask("%%otsessions\nmaxDuration = {max_s")["matches"] == ["max_seconds}"]
        assert ask("%otsessions --demo useOr=t")["matches"] == ["true"]
        assert "includeCountryCode" in ask("%%otsessions\ncountr")["matches"]
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
