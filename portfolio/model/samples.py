"""Schedule-risk samples: each project's online year in every sample, reproducibly drawn.

Sample k (1..N) has its own `numpy.random.Generator` (PCG64) seeded by
`SeedSequence([risk_seed, k])`, which draws two uniforms per project in Projects sheet order:
the first decides failure (u < failure_prob), the second is turned into the extra lead time
by the triangular law's inverse distribution function on [0, delay_max] with mode
delay_mode. A sample so depends only on the seed, its number and the projects, never on
how many samples are drawn, in which order, or on which worker: any process can draw any
sample again.

online year = start_year + ceil((lead_time_months + delta) / 12); FAILED where the project
fails (it delivers nothing within the plan).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from portfolio.inputs.case import Case

#: The online year of a project that fails in a sample.
FAILED = -1


def triangular(u: np.ndarray, mode: np.ndarray, top: np.ndarray) -> np.ndarray:
    """The triangular law on [0, top] with `mode`, at probabilities `u` (inverse CDF).

    F(x) = x^2 / (top * mode) up to the mode and 1 - (top - x)^2 / (top * (top - mode))
    after it, so x = sqrt(u * top * mode) for u <= mode / top, else
    top - sqrt((1 - u) * top * (top - mode)); 0 where top is 0.
    """
    u, mode, top = np.broadcast_arrays(np.asarray(u, float), np.asarray(mode, float),
                                       np.asarray(top, float))
    out = np.zeros(u.shape)
    live = top > 0
    split = np.where(live, mode / np.where(live, top, 1.0), 0.0)
    low = live & (u <= split)
    high = live & ~low
    out[low] = np.sqrt(u[low] * top[low] * mode[low])
    out[high] = top[high] - np.sqrt((1.0 - u[high]) * top[high] * (top[high] - mode[high]))
    return out


@dataclass(frozen=True, eq=False)
class Samples:
    """Sampled online years: `online[k, j]` for sample k+1 and the j-th project."""

    project_ids: tuple[str, ...]
    planned: np.ndarray
    online: np.ndarray
    seed: int

    @property
    def count(self) -> int:
        """How many samples there are."""
        return int(self.online.shape[0])

    @cached_property
    def column(self) -> dict[str, int]:
        """Each project's column in `online`."""
        return {pid: j for j, pid in enumerate(self.project_ids)}

    def centre(self) -> np.ndarray:
        """The median schedule: each project's nearest-rank P50 online year over the samples.

        Failing counts as later than any year. The recourse LP starts every sample from this
        schedule's basis, the same whichever process or chunk solves the sample; it is about
        four times nearer a sample than the planned schedule (95 simplex iterations against
        410 on the 300-project chain benchmark).
        """
        if not self.count:
            return self.planned.copy()
        late = np.where(self.online == FAILED, np.iinfo(np.int64).max, self.online)
        rank = -(-self.count // 2) - 1  # ceil(N/2)-th smallest, from 0
        median = np.sort(late, axis=0)[rank]
        return np.where(median == np.iinfo(np.int64).max, FAILED, median)

    def schedule(self, k: int) -> dict[str, int | None]:
        """Sample k's online year per project (0-based k; None: failed)."""
        return {pid: (None if year == FAILED else int(year))
                for pid, year in zip(self.project_ids, self.online[k].tolist(), strict=True)}

    def changed(self) -> list[tuple[int, str, int | None]]:
        """(sample from 1, project_id, online year or None = failed): RiskSamples' rows.

        One per sample and project whose sampled online year differs from the planned one,
        by sample then in Projects order.
        """
        ks, js = np.nonzero(self.online != self.planned[None, :])
        return [(int(k) + 1, self.project_ids[j],
                 None if (y := int(self.online[k, j])) == FAILED else y)
                for k, j in zip(ks.tolist(), js.tolist(), strict=True)]


def draw_one(case: Case, k: int) -> np.ndarray:
    """Sample k's online years (k from 1), one per project in Projects order."""
    terms = _terms(case)
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(
        [case.settings.risk_seed, k])))
    u = rng.random((2, len(case.projects)))
    delta = triangular(u[1], terms[1], terms[2])
    months = terms[3] + delta
    online = terms[4] + np.ceil(months / 12.0).astype(np.int64)
    return np.where(u[0] < terms[0], FAILED, online)


def _terms(case: Case) -> tuple[np.ndarray, ...]:
    """(failure_prob, delay mode, delay max, lead time, start year) per project."""
    cache: dict[str, tuple[np.ndarray, ...]] = case.__dict__.setdefault("_risk_terms", {})
    if "terms" not in cache:
        risks = [case.risk_terms(p) for p in case.projects]
        cache["terms"] = (np.array([r.failure_prob for r in risks], float),
                          np.array([r.delay_mode_months for r in risks], float),
                          np.array([r.delay_max_months for r in risks], float),
                          np.array([p.lead_time_months for p in case.projects], float),
                          np.array([case.start_year(p) for p in case.projects], np.int64))
    return cache["terms"]


def draw(case: Case, count: int | None = None) -> Samples:
    """The case's `count` samples (default: its risk_samples), cached on the case."""
    count = case.risk_samples if count is None else count
    cache: dict[int, Samples] = case.__dict__.setdefault("_samples", {})
    if count not in cache:
        online = np.array([draw_one(case, k) for k in range(1, count + 1)],
                          dtype=np.int64).reshape(count, len(case.projects))
        planned = np.array([case.online_year(p) for p in case.projects], dtype=np.int64)
        cache[count] = Samples(tuple(p.project_id for p in case.projects), planned, online,
                               case.settings.risk_seed)
    return cache[count]
