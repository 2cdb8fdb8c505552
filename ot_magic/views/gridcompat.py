"""The one place that knows ipydatagrid's ``StreamingDataGrid`` beyond its public API
(tested with ipydatagrid 1.4, the range ``pyproject.toml`` declares).

A streaming grid keeps its DataFrame in the kernel and sends the browser only the rows in view;
sorting and filtering run kernel-side. Its public API sets the data (``grid.data = frame``),
applies transforms (``grid.transform([...])``) and tells the browser to fetch again
(``grid.tick()``); two things a table needs have no public name, and are read here only:

- the transforms the user set from the column headers (to carry them over to renamed headers);
- the sorted/filtered view itself (to map the grid's selections, which are positions in that
  view, back to rows of the frame).

    >>> grid = StreamingGrid(frame, selection_mode="row")     # doctest: +SKIP
    >>> grid.transform([{"type": "sort", "column": "country", "desc": False}])  # doctest: +SKIP
    >>> grid.view_index()[:3]        # doctest: +SKIP  the frame's index, in the view's order
    array([17, 4, 250])
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from ipydatagrid import StreamingDataGrid

GUID = "ipydguuid"  # the column ipydatagrid adds to every frame it is given


class StreamingGrid(StreamingDataGrid):
    """A ``StreamingDataGrid`` whose ``data`` reads back the frame it streams (ipydatagrid 1.4's
    reads the rows sent with the state, which a streaming grid never sends)."""

    def __init__(self, dataframe: pd.DataFrame, **kwargs: Any) -> None:
        self._frame = dataframe
        super().__init__(dataframe, **kwargs)

    @property
    def data(self) -> pd.DataFrame:
        """The whole frame the grid streams (every row, in the frame's order)."""
        return self._frame.drop(columns=GUID, errors="ignore")

    @data.setter
    def data(self, dataframe: pd.DataFrame) -> None:
        self._frame = dataframe
        StreamingDataGrid.data.fset(self, dataframe)

    @property
    def transforms(self) -> list[dict[str, Any]]:
        """The sorts and filters in effect (set from the column headers or by ``transform``)."""
        return [dict(t) for t in self._transforms]

    def restream(self, transforms: list[dict[str, Any]]) -> None:
        """After new data: apply ``transforms`` to it and have the browser fetch its rows."""
        self.transform([])  # the view of the old data is dropped even if transforms are equal
        if transforms:
            self.transform(transforms)
        self.tick()

    def view_index(self) -> np.ndarray:
        """The frame's index labels in the order the grid shows them (sorted, filtered)."""
        view = self._transformed_data
        return (self._frame if view is None else view).index.to_numpy()
