"""A linear model as arrays: the one formulation that every solver backend receives.

Constraint families (``optimizer.model.build``) add column families and row families
here as numpy arrays of (row, column, coefficient) terms; nothing is a Python object per
variable. A backend then hands the arrays to a solver: HiGHS in-process as one
compressed sparse matrix (``optimizer.solver.highs``), or any solver PuLP drives through
an ``LpProblem`` built from the same arrays (``optimizer.solver.pulp``).

Columns and rows have global positions; each family knows its first position and its
labels frame, so a value or a dual maps back to a line, an ally or a period. Names for
LP files are made only when asked for (``column_names``, ``row_names``).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

LESS, EQUAL, GREATER = "<=", "=", ">="
_UNSAFE = re.compile(r"[^A-Za-z0-9_.]")


def readable_names(prefix: str, columns: list) -> list[str]:
    """``prefix_code_code_…`` with characters unsafe in LP files replaced by ``_``; a
    position suffix keeps names unique when two labels would otherwise collide."""
    if not columns or len(columns[0]) == 0:
        return []
    joined = pd.Series(np.asarray(columns[0], dtype=object)).astype(str)
    for column in columns[1:]:
        joined = joined + "_" + pd.Series(np.asarray(column, dtype=object)).astype(str)
    names = (prefix + "_" + joined.str.replace(_UNSAFE, "_", regex=True)).tolist()
    if len(set(names)) != len(names):
        names = [f"{name}_{i}" for i, name in enumerate(names)]
    return names


@dataclass
class ColumnFamily:
    """Variables of one kind (x, e, y, s, u, carry) at global positions start … stop-1."""

    name: str
    start: int
    labels: pd.DataFrame
    name_columns: Callable[[], list]  # the label columns that make up each variable's name
    lower: np.ndarray
    upper: np.ndarray
    integer: np.ndarray

    @property
    def stop(self) -> int:
        return self.start + len(self.labels)

    @property
    def index(self) -> np.ndarray:
        return np.arange(self.start, self.stop)


@dataclass
class RowFamily:
    """One constraint family: rows start … stop-1, each ``Σ terms sense rhs``.

    ``positions`` maps each row to its label (rows without any term are not built).
    The rows are held (and handed to solvers) multiplied by ``scale``, so that money rows
    count in millions and every row's coefficients stay near 1: a dual read back from a
    solver is per unit of the held row, and ``scale`` times it is per unit of the stated
    row (a euro of budget rather than a million)."""

    name: str
    start: int
    labels: pd.DataFrame
    positions: np.ndarray
    name_columns: Callable[[], list]
    sense: str
    rhs: np.ndarray
    row: np.ndarray  # global row of each term
    column: np.ndarray
    coefficient: np.ndarray
    scale: float = 1.0

    @property
    def stop(self) -> int:
        return self.start + len(self.positions)


@dataclass
class LinearModel:
    """Columns, rows and named objective terms, all as arrays."""

    columns: dict[str, ColumnFamily] = field(default_factory=dict)
    rows: dict[str, RowFamily] = field(default_factory=dict)
    n_columns: int = 0
    n_rows: int = 0

    def add_columns(self, name: str, labels: pd.DataFrame, name_columns: Callable[[], list],
                    *, upper: np.ndarray | float = np.inf,
                    integer: np.ndarray | None = None) -> np.ndarray:
        """Add one variable ≥ 0 per label row; return their global positions."""
        count = len(labels)
        family = ColumnFamily(
            name=name, start=self.n_columns, labels=labels.reset_index(drop=True),
            name_columns=name_columns,
            lower=np.zeros(count),
            upper=np.broadcast_to(np.asarray(upper, dtype=float), (count,)).copy(),
            integer=(np.zeros(count, dtype=bool) if integer is None
                     else np.asarray(integer, dtype=bool)),
        )
        self.columns[name] = family
        self.n_columns += count
        return family.index

    def add_rows(self, name: str, labels: pd.DataFrame, name_columns: Callable[[], list],
                 row: np.ndarray, column: np.ndarray, coefficient: np.ndarray,
                 sense: str, rhs: np.ndarray, *, scale: float = 1.0) -> None:
        """Add one constraint family: term k puts ``coefficient[k]`` of column
        ``column[k]`` into label row ``row[k]``. Zero terms are dropped, repeated
        (row, column) terms summed, and label rows left without terms not built. Every
        row is held multiplied by ``scale`` (see ``RowFamily``)."""
        row = np.asarray(row, dtype=np.int64)
        column = np.asarray(column, dtype=np.int64)
        coefficient = np.asarray(coefficient, dtype=float) * scale
        keep = coefficient != 0
        row, column, coefficient = row[keep], column[keep], coefficient[keep]
        order = np.lexsort((column, row))
        row, column, coefficient = row[order], column[order], coefficient[order]
        if len(row):
            first = np.ones(len(row), dtype=bool)
            first[1:] = (row[1:] != row[:-1]) | (column[1:] != column[:-1])
            if not first.all():
                groups = np.cumsum(first) - 1
                coefficient = np.bincount(groups, weights=coefficient)
                row, column = row[first], column[first]
        positions = np.unique(row)
        local = np.searchsorted(positions, row)
        family = RowFamily(
            name=name, start=self.n_rows, labels=labels.reset_index(drop=True),
            positions=positions, name_columns=name_columns, sense=sense,
            rhs=np.asarray(rhs, dtype=float)[positions] * scale,
            row=self.n_rows + local, column=column, coefficient=coefficient, scale=scale,
        )
        self.rows[name] = family
        self.n_rows += len(positions)

    def add_row(self, name: str, column: np.ndarray, coefficient: np.ndarray, sense: str,
                rhs: float) -> None:
        """A single named row (e.g. the lexicographic shortfall bound)."""
        self.add_rows(name, pd.DataFrame({"row": [name]}), lambda: [[""]],
                      np.zeros(len(column), dtype=np.int64), column, coefficient, sense,
                      np.array([rhs]))

    @property
    def n_nonzeros(self) -> int:
        return sum(len(family.coefficient) for family in self.rows.values())

    # -- arrays for the backends ---------------------------------------------------------

    def column_bounds(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        families = list(self.columns.values())
        if not families:
            return np.zeros(0), np.zeros(0), np.zeros(0, dtype=bool)
        return (np.concatenate([f.lower for f in families]),
                np.concatenate([f.upper for f in families]),
                np.concatenate([f.integer for f in families]))

    def row_bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """Lower and upper bound of every row (±inf where open)."""
        lower, upper = np.full(self.n_rows, -np.inf), np.full(self.n_rows, np.inf)
        for family in self.rows.values():
            span = slice(family.start, family.stop)
            if family.sense in (GREATER, EQUAL):
                lower[span] = family.rhs
            if family.sense in (LESS, EQUAL):
                upper[span] = family.rhs
        return lower, upper

    def matrix(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The constraint matrix in compressed sparse row form: starts, columns, values."""
        families = list(self.rows.values())
        if not families:
            return np.zeros(1, dtype=np.int64), np.zeros(0, np.int64), np.zeros(0)
        row = np.concatenate([f.row for f in families])
        column = np.concatenate([f.column for f in families])
        value = np.concatenate([f.coefficient for f in families])
        starts = np.searchsorted(row, np.arange(self.n_rows + 1))
        return starts.astype(np.int64), column, value

    def structure_fingerprint(self) -> str:
        """A digest of the model's structure: its size, matrix and integer columns, but
        not its bounds, right-hand sides or costs. Two models with the same fingerprint
        differ only in those, so a basis of one is a basis of the other."""
        digest = hashlib.sha256(np.array([self.n_rows, self.n_columns]).tobytes())
        for array in (*self.matrix(), self.column_bounds()[2]):
            digest.update(np.ascontiguousarray(array).tobytes())
        return digest.hexdigest()

    def column_names(self) -> list[str]:
        names: list[str] = []
        for family in self.columns.values():
            names += readable_names(family.name, family.name_columns())
        return names

    def row_scales(self) -> np.ndarray:
        """``scale`` of every row: a solver's dual times it is per unit of the stated row."""
        scales = np.ones(self.n_rows)
        for family in self.rows.values():
            scales[family.start:family.stop] = family.scale
        return scales

    def row_names(self) -> list[str]:
        names: list[str] = []
        for family in self.rows.values():
            columns = [np.asarray(c, dtype=object)[family.positions]
                       for c in family.name_columns()]
            names += readable_names(family.name, columns)
        return names


def dense_objective(n_columns: int, terms: list[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
    """Σ of (columns, coefficients) terms as one cost vector over every column."""
    cost = np.zeros(n_columns)
    for columns, coefficients in terms:
        np.add.at(cost, np.asarray(columns, dtype=np.int64), np.asarray(coefficients, float))
    return cost
