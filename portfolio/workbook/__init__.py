"""Stage 0, the file: package guard, formula scan, cell references, reader, styles, atomic save.

Nothing here knows the contract's sheets; `portfolio.inputs` does.
"""
