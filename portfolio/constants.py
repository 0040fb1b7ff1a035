"""Every numerical tolerance of the product, in one place, with what each is for.

A figure is compared with another only through one of these, so that the solver, the
analyses and the report agree on what "equal", "zero" and "used up" mean.
"""

from __future__ import annotations

#: Coefficients, face values and slacks at or below this are zero (model building, reasons).
EPS = 1e-9
#: A face value a solver returns at or below this (USD m) is no commitment.
VALUE_TOLERANCE = 1e-7
#: A recourse level with a reduced cost at least minus this cannot improve the optimum
#: (HiGHS's default dual feasibility tolerance).
REDUCED_COST_TOLERANCE = 1e-7
#: A lexicographic stage's objective is held at its value plus this, relative.
HOLD = 1e-6
#: Two figures within this (relative to max(1, |scale|)) are the same: solver noise.
NOISE = 1e-6
#: A reduced cost or dual above this fixes a variable or a row on the LP's optimal face.
FACE_TOLERANCE = 1e-9
#: A bound decides a stage without a MIP when it is this close (relative) beyond the gap.
BOUND_TOLERANCE = 1e-9
#: Smallest objective magnitude a relative gap is divided by.
GAP_FLOOR = 1e-12
#: CapexSchedule shares of one project must sum to 1 within this.
SHARE_TOLERANCE = 1e-6
#: The sensitivity re-solve agrees with the LP when their cost changes differ by less (relative).
AGREEMENT = 1e-5
#: A reason says a row is fully covered at this share of its demand and above.
FULL = 0.999
#: Regrets are kept to this many decimals: beyond them lies only the arithmetic of whichever
#: equally good portfolio a worker happened to find first, which must not order rank ties.
REGRET_DECIMALS = 9
#: The default relative MIP gap where no Settings sheet gives one.
DEFAULT_GAP = 1e-4
#: A hold that must not be traded against anything else (relative): stock is continuous, so a
#: looser one is spent on buying a little less (`exact_stock`, `flows._earliest`).
EXACT = 1e-9
#: Schedule-risk samples drawn where the workbook has risk data and no risk_samples setting.
DEFAULT_RISK_SAMPLES = 500
#: Above this many RiskSamples rows the sheet holds a note and the rows go to a CSV file.
MAX_SAMPLE_ROWS = 1_000_000
#: HiGHS options of the analyses' re-solves (`SolveKind.RESOLVE`), chosen by A/B measurement
#: (docs/benchmarks.md, issue 16): each starts from a portfolio of a nearby model, where
#: presolve and the RINS and RENS sub-MIPs cost more than they save. 8 sensitivity
#: re-solves of the worked example: 21.4 s as selected, 11.5 s without presolve, 5.5 s
#: without presolve, RINS and RENS.
RESOLVE_OPTIONS = {"presolve": "off", "mip_heuristic_run_rins": False,
                   "mip_heuristic_run_rens": False}
