"""How a written sheet prints, as openpyxl reads it back: for tests of every workbook."""

from __future__ import annotations

# A table: landscape, one page wide and as many tall as it takes (0), the header row on
# every page, gridlines printed.
TABLE = {"orientation": "landscape", "fit_to_page": True, "pages": (1, 0),
         "title_rows": "$1:$1", "gridlines": True}


def print_setup(sheet) -> dict:
    """The print settings of an openpyxl worksheet. A page count that the file leaves
    out is 1, the default of the format (ECMA-376 ``fitToWidth``, ``fitToHeight``)."""
    page = sheet.page_setup
    return {
        "orientation": page.orientation,
        "fit_to_page": bool(sheet.sheet_properties.pageSetUpPr
                            and sheet.sheet_properties.pageSetUpPr.fitToPage),
        "pages": (1 if page.fitToWidth is None else int(page.fitToWidth),
                  1 if page.fitToHeight is None else int(page.fitToHeight)),
        "title_rows": sheet.print_title_rows,
        "gridlines": bool(sheet.print_options.gridLines),
    }
