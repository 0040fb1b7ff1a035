"""Stage 2, the optimisation: the MILP, its constraint families, outcomes and the one driver.

`build` makes the model, `lexicographic` optimises it on PuLP or on a persistent HiGHS copy.
"""
