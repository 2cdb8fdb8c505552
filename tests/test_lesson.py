"""The student version of a lesson: the teacher's notebook without its answers, never stale."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

from ot_magic.lesson import is_answer, main, student_version

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def lesson() -> dict:
    return json.loads((EXAMPLES / "teaching.ipynb").read_text(encoding="utf-8"))


def test_every_answer_of_the_lesson_is_tagged_heading_and_code_alike():
    cells = lesson()["cells"]
    for before, cell in itertools.pairwise(cells):
        if before["cell_type"] == "markdown" and "".join(before["source"]).startswith("**Answer"):
            assert is_answer(before) and is_answer(cell), "".join(before["source"])


def test_the_student_version_keeps_the_exercises_and_drops_every_answer():
    teacher = lesson()
    student = student_version(teacher)
    texts = ["".join(cell["source"]) for cell in student["cells"]]
    exercises = [t for t in texts if t.startswith("**Exercise")]
    assert len(exercises) == sum(
        "".join(c["source"]).startswith("**Exercise") for c in teacher["cells"]
    )
    assert exercises and not any(t.startswith("**Answer") for t in texts)
    assert not any(is_answer(cell) for cell in student["cells"])
    assert "Student version" in texts[1]
    assert all(not c.get("outputs") for c in student["cells"] if c["cell_type"] == "code")


def test_the_committed_student_notebook_is_the_one_the_lesson_makes(tmp_path):
    made = tmp_path / "student.ipynb"
    main([str(EXAMPLES / "teaching.ipynb"), str(made)])
    committed = EXAMPLES / "teaching-student.ipynb"
    assert committed.read_text(encoding="utf-8") == made.read_text(encoding="utf-8"), (
        "run: python -m ot_magic.lesson examples/teaching.ipynb examples/teaching-student.ipynb"
    )
