"""The report stage: the report's tables (``tables``: each table declared once, made by
one function per sheet), the Dashboard (``dashboard``), the HTML page (``html``, drawn
from a run's tables or from those read back), reading a report workbook back into the
same tables (``readback``), and comparing two reports (``compare``).
"""
