"""The independent check of a plan (``check``): every SPEC rule recomputed from the
workbook's tables and the plan's quantities alone, never from the model's rows, so a
mistake in building or solving cannot also hide itself here.
"""
