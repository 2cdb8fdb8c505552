"""A lesson's student version: the same notebook without the cells tagged ``answer``.

A teacher writes one notebook with its exercises and their answers, tagging every answer cell
(markdown heading and code alike) with the cell tag ``answer``; the student version is made from
it, so the two never drift apart::

    python -m ot_magic.lesson examples/teaching.ipynb examples/teaching-student.ipynb

    >>> from ot_magic.lesson import student_version
    >>> lesson = {"cells": [{"cell_type": "code", "metadata": {"tags": ["answer"]}, "source": "1"}]}
    >>> student_version(lesson)["cells"]
    []

Notebooks are read and written as plain JSON (nbformat 4), outputs cleared, so the student copy
carries no answer in an output either.
"""

from __future__ import annotations

import argparse
import copy
import json
from pathlib import Path
from typing import Any

ANSWER_TAG = "answer"
STUDENT_NOTE = (
    "*Student version: the answers are left out. It is made from the teacher's notebook by "
    "`python -m ot_magic.lesson`; edit that notebook, not this one.*"
)


def is_answer(cell: dict[str, Any]) -> bool:
    """Whether a cell is tagged ``answer``."""
    return ANSWER_TAG in cell.get("metadata", {}).get("tags", [])


def student_version(lesson: dict[str, Any]) -> dict[str, Any]:
    """``lesson`` (a notebook as JSON) without its answer cells, outputs cleared, with a note
    under the first cell saying where it comes from."""
    student = copy.deepcopy(lesson)
    cells = [cell for cell in student["cells"] if not is_answer(cell)]
    for cell in cells:
        if cell["cell_type"] == "code":
            cell["outputs"], cell["execution_count"] = [], None
    note = {"cell_type": "markdown", "metadata": {}, "source": STUDENT_NOTE}
    if "id" in (cells[0] if cells else {}):
        note["id"] = "student-note"
    student["cells"] = [*cells[:1], note, *cells[1:]] if cells else []
    student.get("metadata", {}).pop("widgets", None)
    return student


def write_student_version(lesson_path: Path, student_path: Path) -> None:
    """Read the lesson at ``lesson_path`` and write its student version at ``student_path``."""
    lesson = json.loads(lesson_path.read_text(encoding="utf-8"))
    text = json.dumps(student_version(lesson), indent=1, ensure_ascii=False) + "\n"
    student_path.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m ot_magic.lesson",
        description="Write a lesson's student version: the notebook without its answer cells.",
    )
    parser.add_argument(
        "lesson", type=Path, help="the teacher's notebook (answers tagged 'answer')"
    )
    parser.add_argument("student", type=Path, help="where to write the student version")
    args = parser.parse_args(argv)
    write_student_version(args.lesson, args.student)


if __name__ == "__main__":
    main()
