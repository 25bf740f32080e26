# mypy: allow-subclassing-any
# (Kivy ships no type hints: its classes are Any to mypy.)
"""A vertical RecycleView layout for very long lists of rows of known (or estimated) height.

Kivy's RecycleBoxLayout runs its full box-layout algorithm over every row on
each relayout and finds visible rows by a linear scan; with 20,000 rows (a
10,000-message chat) that is hundreds of milliseconds per change. Our rows all
span the full width with a fixed height, so positions are a running sum and
the visible range is two binary searches. A view that corrects its height
costs one pass of additions, not a full layout.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from itertools import accumulate
from typing import Any

from kivy.factory import Factory
from kivy.properties import NumericProperty
from kivy.uix.recyclelayout import RecycleLayout

from llamadesk.ui.widgets.clipped_list import ClippedRecycleView


class LazyViewOpts:
    """RecycleLayout's per-row option dicts, made only for rows that are actually shown.

    Kivy builds one dict of ~10 entries per row up front; for 20,000 rows that
    alone took ~0.4 s. Heights live in the layout's own list instead.
    """

    def __init__(self, layout: MessageListLayout, data: Any) -> None:
        self._layout = layout
        self._data = data
        self._made: dict[int, dict[str, Any]] = {}

    def __len__(self) -> int:
        return len(self._data)

    def __getitem__(self, index: int) -> dict[str, Any]:
        opt = self._made.get(index)
        if opt is None:
            item = self._data[index]
            opt = {
                "size": [self._layout.width, self._layout.heights[index]],
                "size_hint": [1, None],
                "size_hint_min": [None, None],
                "size_hint_max": [None, None],
                "pos": None,
                "pos_hint": {},
                "viewclass": getattr(Factory, item.get("viewclass", "MessageBody")),
                "width_none": True,
                "height_none": False,
            }
            self._made[index] = opt
        return opt

    def forget(self) -> None:
        self._made.clear()


class MessageListLayout(RecycleLayout):
    spacing = NumericProperty(0)
    padding_y = NumericProperty(0)
    minimum_height = NumericProperty(0)
    view_indices: dict[Any, int]  # RecycleLayout's: each shown view's row

    def __init__(self, **kwargs: Any) -> None:
        self._offsets: list[float] = []  # distance of each row's top from the layout's top
        self.heights: list[float] = []
        super().__init__(**kwargs)
        self.fbind("spacing", self._relayout)
        self.fbind("padding_y", self._relayout)
        # A RecycleLayout is not a BoxLayout: nothing lays it out again when the window is
        # resized (or a tablet turned), so rows would keep the old width.
        self.fbind("width", self._relayout)

    def _relayout(self, *_: Any) -> None:
        if self.recycleview is not None:
            self.recycleview.refresh_from_layout()

    def compute_sizes_from_data(self, data: Any, flags: Any) -> None:
        self._keep_views(data, flags)
        default = self.default_size[1] or 48
        self.heights = [item.get("height", default) for item in data]
        self.view_opts = LazyViewOpts(self, data)

    def compute_layout(self, data: Any, flags: Any) -> None:
        super().compute_layout(data, flags)  # copies sizes of shown views that changed into view_opts
        heights = self.heights
        for index in self.view_indices.values():
            if index < len(heights):
                heights[index] = self.view_opts[index]["size"][1]
        gap = self.spacing
        self._offsets = [0.0, *accumulate(h + gap for h in heights[:-1])] if heights else []
        total = (self._offsets[-1] + heights[-1]) if heights else 0.0
        self.minimum_height = total + 2 * self.padding_y
        self._changed_views = None
        # Shown views stay with their rows ("dirty": only their place is refreshed), so a
        # relayout never re-renders a message that did not change.
        adapter = self.recycleview.view_adapter if self.recycleview else None
        if adapter is not None:
            adapter.make_views_dirty()
        self.view_indices = {}

    def _keep_views(self, data: Any, flags: Any) -> None:
        """After a data change, keep the views of rows that did not change (streaming appends,
        replaces the tail); rows that changed get their view refreshed from the new data."""
        adapter = self.recycleview.view_adapter if self.recycleview else None
        simple = bool(flags) and all(f and set(f) <= {"modified", "appended", "removed"} for f in flags)
        if adapter is None or not simple:
            self.clear_layout()
            return
        changed: set[int] = set()
        for flag in flags:
            for kind, where in flag.items():
                if kind == "appended":
                    continue
                if isinstance(where, slice):
                    changed.update(range(*where.indices(len(data) + 1)))
                else:
                    changed.add(int(where))
        adapter.make_views_dirty()
        for views in adapter.dirty_views.values():
            for index in [i for i in views if i in changed or i >= len(data)]:
                # Re-filed under an index no row has: reused for any row, with its data refreshed.
                views[-1 - len(views) - index] = views.pop(index)
        self.view_indices = {}

    def set_visible_views(self, indices: Any, data: Any, viewport: Any) -> None:
        super().set_visible_views(indices, data, viewport)
        shown = set(self.view_indices)
        for child in list(self.children):
            if child not in shown:
                self.remove_widget(child)

    def _place(self, index: int) -> None:
        opt = self.view_opts[index]
        top = self.y + self.height - self.padding_y - self._offsets[index]
        opt["pos"] = [self.x, top - self.heights[index]]
        opt["size"] = [self.width, self.heights[index]]

    def compute_visible_views(self, data: Any, viewport: Any) -> list[int]:
        if not self._offsets or not data:
            return []
        _x, y, _w, h = viewport
        top = self.y + self.height - self.padding_y
        # Rows whose span [offset, offset + height] meets the viewport's span measured from the top.
        view_from, view_to = top - (y + h), top - y
        first = max(0, bisect_right(self._offsets, view_from) - 1)
        last = min(len(self._offsets) - 1, bisect_left(self._offsets, view_to))
        indices = list(range(first, last + 1))
        for index in indices:
            self._place(index)
        return indices

    def get_view_index_at(self, pos: Any) -> int:
        top = self.y + self.height - self.padding_y
        return max(0, bisect_right(self._offsets, top - pos[1]) - 1)


class MessageListView(ClippedRecycleView):
    """The message list's RecycleView (clipped by a scissor: see clipped_list.py)."""
