"""The input stage: the workbook contract (``schema``), the zip package read safely
(``package``), cells to typed tables (``reader``), cell-precise problems (``validation``,
``numerics``), the tables the model reads (``data``), and the workbooks written for a user
to fill (``template``) or for tests and benchmarks (``synthetic``).

Nothing here knows of the model, the solver or the report: data flows out of this
package, never into it.
"""
