"""The worked example: a US-Japan critical-minerals pipeline for 2026-2035.

Rows marked "public" use rounded public figures (see the notes column: Arafura Nolans,
Iluka Eneabba, Rainbow Phalaborwa, eVAC Sumter, MP Materials Fort Worth, Cyclic Materials
Kingston, Lynas-JARE; DOE LPO, DFC, DoD DPA Title III subsidy rates and caps; Mountain Pass
output and ore grades, oxide-to-metal stoichiometry, magnet composition and machining yield).
Every other figure is illustrative and says so. A$ figures are converted at 0.65 USD per A$.

The example is a supply chain (contract v2): mines make concentrate, separation plants turn
it into NdPr and Dy-Tb oxide with cerium and lanthanum by-products, metal plants make NdPr
metal, magnet plants make magnets and swarf, recyclers take the swarf back, and refineries
turn spodumene into lithium hydroxide. `example_data(chains=False)` is the chain-blind
version 1 example, in which every Offtake counts on its own.
"""

from __future__ import annotations

from typing import Any

PUBLIC = "public"
ILLUSTRATIVE = "illustrative"

SETTINGS: list[dict[str, Any]] = [
    {"setting": "plan_start_year", "value": 2026},
    {"setting": "total_budget_musd", "value": 200.0,
     "notes": "Budget cost (credit subsidy cost, grants at face value) available; illustrative."},
    {"setting": "objective", "value": "max_coverage"},
    {"setting": "max_lead_time_months", "value": 84,
     "notes": "Projects must produce within 7 years of close (illustrative policy limit)."},
    {"setting": "max_public_share", "value": 0.8,
     "notes": "At least 20% private money in every project (illustrative)."},
    {"setting": "mip_gap", "value": 0.0},
    {"setting": "time_limit_s", "value": 60},
]

# id, name, country, stage, capex, equity, lead months, start year, lock, requires, group, notes
_PROJECTS: list[tuple[Any, ...]] = [
    ("AU-NOL", "Arafura Nolans mine and separation", "AU", "mining", 910, 200, 42, 2026, "", "",
     "", "public: about A$1.4B capex for about 4,440 t/y NdPr oxide; equity illustrative"),
    ("AU-ENE", "Iluka Eneabba refinery", "AU", "refining", 1150, 450, 18, 2026, "", "", "",
     "public: A$1.7-1.8B, up to 23,000 t/y REO, commissioning 2027; product split illustrative"),
    ("ZA-PHA", "Rainbow Phalaborwa separation", "ZA", "separation", 326, 70, 30, 2026, "", "", "",
     "public: about $326M for about 1,900 t/y NdPr oxide; lead time illustrative"),
    ("US-SUM", "eVAC Sumter magnet plant", "US", "magnet", 500, 150, 24, 2026, "", "", "",
     "public: over $500M for about 2,000 t/y magnets; equity illustrative"),
    ("US-FTW", "MP Materials Fort Worth magnets", "US", "magnet", 300, 200, 24, 2026, "in", "",
     "", "public: about 1,000 t/y; locked in (already committed); capex illustrative"),
    ("US-10X", "MP 10X magnet expansion", "US", "magnet", 1000, 250, 36, 2026, "", "US-FTW", "",
     "public plan: 10,000 t/y total; 7,000 t/y expansion and capex illustrative"),
    ("CA-KNG", "Cyclic Materials Kingston recycling hub", "CA", "recycling", 25, 5, 9, 2026, "",
     "", "", "public: about $25M for 500 t/y feed; NdPr output illustrative"),
    ("AU-LYN", "Lynas-JARE supply extension", "AU", "separation", 250, 50, 12, 2026, "", "", "",
     "public: Lynas-JARE (Sojitz + JOGMEC) $250M tied to 8,500 t/y to Japan; split illustrative"),
    ("US-MTP", "Mountain Pass heavy rare earth separation", "US", "separation", 420, 120, 36,
     2026, "", "", "", "illustrative"),
    ("US-TX", "Texas separation plant", "US", "separation", 600, 120, 48, 2026, "", "", "US-SEP",
     "illustrative: alternative site to US-OK"),
    ("US-OK", "Oklahoma separation plant", "US", "separation", 540, 110, 54, 2026, "", "",
     "US-SEP", "illustrative: alternative site to US-TX"),
    ("US-BRL", "Wyoming greenfield rare earth mine", "US", "mining", 1400, 300, 132, 2026, "", "",
     "", "illustrative: new mine, 11 years to production"),
    ("CA-NEC", "Northwest Territories rare earth mine", "CA", "mining", 780, 200, 72, 2026, "", "",
     "", "illustrative"),
    ("CA-SKR", "Saskatchewan rare earth processing", "CA", "separation", 180, 60, 24, 2026, "",
     "", "", "illustrative"),
    ("JP-MAG", "Japan sintered magnet line", "JP", "magnet", 380, 120, 30, 2026, "", "", "",
     "illustrative"),
    ("JP-ALY", "Japan NdPr metal and alloy plant", "JP", "metal_alloy", 160, 40, 24, 2026, "",
     "", "", "illustrative"),
    ("JP-RCY", "Japan magnet scrap recycling hub", "JP", "recycling", 60, 15, 9, 2026, "", "",
     "", "illustrative: recycling hubs can start within about 9 months"),
    ("JP-DYR", "Japan Dy/Tb recovery from swarf", "JP", "recycling", 90, 20, 18, 2027, "", "",
     "", "illustrative"),
    ("US-ALY", "US NdPr metal and alloy plant", "US", "metal_alloy", 220, 50, 30, 2026, "",
     "US-MTP", "", "illustrative: needs Mountain Pass oxide"),
    ("US-RCY", "US magnet recycling hub", "US", "recycling", 45, 10, 9, 2026, "", "", "",
     "illustrative"),
    ("US-LIH", "Nevada lithium hydroxide refinery", "US", "refining", 1500, 400, 36, 2026, "", "",
     "", "illustrative"),
    ("AU-LIH", "Kwinana lithium hydroxide train", "AU", "refining", 700, 200, 30, 2026, "", "",
     "", "illustrative"),
    ("CA-LIH", "Ontario lithium hydroxide refinery", "CA", "refining", 650, 150, 36, 2027, "", "",
     "", "illustrative"),
    ("US-GRA", "US graphite anode plant", "US", "refining", 800, 200, 30, 2026, "", "", "",
     "illustrative"),
    ("JP-GRA", "Japan spherical graphite plant", "JP", "refining", 300, 80, 24, 2026, "", "", "",
     "illustrative"),
    ("JP-CAT", "Japan cerium catalyst materials plant", "JP", "refining", 120, 30, 18, 2026, "",
     "", "", "illustrative"),
    ("US-CAT", "US FCC catalyst lanthanum supply", "US", "separation", 200, 40, 24, 2026, "", "",
     "", "illustrative"),
    ("AU-GAL", "Western Australia gallium recovery", "AU", "refining", 150, 30, 24, 2026, "", "",
     "", "illustrative"),
    ("CA-GER", "British Columbia germanium circuit", "CA", "refining", 110, 25, 24, 2026, "", "",
     "", "illustrative"),
    ("JP-GAL", "Japan gallium recycling", "JP", "recycling", 40, 10, 12, 2026, "", "", "",
     "illustrative"),
    ("US-OPT", "US optical-grade lanthanum oxide plant", "US", "refining", 90, 20, 18, 2026, "",
     "", "", "illustrative"),
    ("BR-ARX", "Brazil ionic clay heavy rare earths", "BR", "mining", 350, 90, 48, 2026, "out",
     "", "", "illustrative: locked out pending permitting review"),
]

# project_id, sector, material, tonnes per year
_OFFTAKE: list[tuple[str, str, str, float]] = [
    ("AU-NOL", "magnets", "NdPr oxide", 4440),
    ("AU-ENE", "magnets", "NdPr oxide", 4400),
    ("AU-ENE", "magnets", "Dy-Tb oxide", 400),
    ("AU-ENE", "catalysts", "cerium oxide", 1500),
    ("ZA-PHA", "magnets", "NdPr oxide", 1900),
    ("US-SUM", "magnets", "NdFeB magnets", 2000),
    ("US-FTW", "magnets", "NdFeB magnets", 1000),
    ("US-10X", "magnets", "NdFeB magnets", 7000),
    ("CA-KNG", "magnets", "NdPr oxide", 120),
    ("AU-LYN", "magnets", "NdPr oxide", 2000),
    ("AU-LYN", "catalysts", "lanthanum oxide", 1500),
    ("US-MTP", "magnets", "Dy-Tb oxide", 200),
    ("US-MTP", "magnets", "NdPr oxide", 1000),
    ("US-TX", "magnets", "NdPr oxide", 3000),
    ("US-TX", "catalysts", "cerium oxide", 1000),
    ("US-OK", "magnets", "NdPr oxide", 2600),
    ("US-OK", "catalysts", "cerium oxide", 900),
    ("US-BRL", "magnets", "NdPr oxide", 5000),
    ("CA-NEC", "magnets", "NdPr oxide", 2500),
    ("CA-NEC", "magnets", "Dy-Tb oxide", 120),
    ("CA-SKR", "magnets", "NdPr oxide", 800),
    ("JP-MAG", "magnets", "NdFeB magnets", 3000),
    ("JP-ALY", "magnets", "NdPr metal", 1500),
    ("JP-RCY", "magnets", "NdPr oxide", 300),
    ("JP-DYR", "magnets", "Dy-Tb oxide", 60),
    ("US-ALY", "magnets", "NdPr metal", 2000),
    ("US-RCY", "magnets", "NdPr oxide", 250),
    ("US-LIH", "batteries", "lithium hydroxide", 40000),
    ("AU-LIH", "batteries", "lithium hydroxide", 24000),
    ("CA-LIH", "batteries", "lithium hydroxide", 20000),
    ("US-GRA", "batteries", "graphite", 50000),
    ("JP-GRA", "batteries", "graphite", 20000),
    ("JP-CAT", "catalysts", "cerium oxide", 1200),
    ("US-CAT", "catalysts", "lanthanum oxide", 2500),
    ("US-CAT", "optical", "lanthanum oxide", 300),
    ("AU-GAL", "optical", "gallium", 50),
    ("CA-GER", "optical", "germanium", 40),
    ("JP-GAL", "optical", "gallium", 20),
    ("US-OPT", "optical", "lanthanum oxide", 500),
    ("BR-ARX", "magnets", "Dy-Tb oxide", 250),
]

# sector, material, demand in 2026, demand in 2035, weight, notes
_DEMAND: list[tuple[str, str, float, float, float, str]] = [
    ("magnets", "NdPr oxide", 6000, 16000, 3.0, "allied demand not met by non-Chinese supply"),
    ("magnets", "Dy-Tb oxide", 300, 800, 20.0, "heavy rare earths: scarcest, highest priority"),
    ("magnets", "NdPr metal", 1000, 4000, 3.0, ""),
    ("magnets", "NdFeB magnets", 4000, 15000, 2.0, ""),
    ("batteries", "lithium hydroxide", 30000, 90000, 0.1, ""),
    ("batteries", "graphite", 40000, 120000, 0.05, ""),
    ("catalysts", "cerium oxide", 2000, 4000, 0.5, "autocatalysts"),
    ("catalysts", "lanthanum oxide", 3000, 5000, 0.5, "FCC refinery catalysts"),
    ("optical", "lanthanum oxide", 400, 900, 1.0, "optical glass"),
    ("optical", "gallium", 40, 120, 25.0, "China export ban 2023-2025"),
    ("optical", "germanium", 30, 80, 25.0, "China export ban 2023-2025"),
]

# pool_id, instrument, funder, country, capacity, rate, gap credit, max share, min ticket,
# eligible countries, eligible stages, notes
_POOLS: list[tuple[Any, ...]] = [
    ("US-LPO-1706", "guarantee", "US DOE LPO", "US", 2500, 0.02, 1.0, 0.8, 100, "US", "",
     "public: ~2% implied subsidy ($5B backs ~$250B)"),
    ("US-LPO-1703", "loan", "US DOE LPO", "US", 2500, 0.09, 1.0, 0.8, 50, "US", "",
     "public: ~9% implied subsidy ($3.6B backs $40B)"),
    ("US-DFC-loan", "loan", "US DFC", "US", 2000, 0.06, 1.0, 0.5, 1, "AU, CA, ZA, BR", "",
     "public: $1M-$1B loans, up to 50% of project cost; rate illustrative"),
    ("US-DOE-grant", "grant", "US DOE", "US", 300, 1.0, 1.0, 0.5, 50, "US",
     "separation, refining, metal_alloy, magnet, recycling",
     "public: awards $50-200M with at least 50% recipient cost share"),
    ("US-DPA-III", "grant", "US DoD DPA Title III", "US", 250, 1.0, 1.0, 0.5, 9.6, "US, CA, AU",
     "", "public: at least half non-federal money, awards $9.6M-$120M"),
    ("US-DLA-offtake", "offtake", "US DLA stockpile", "US", 1200, 0.3, 0.5, 0.5, 0, "",
     "separation, refining, metal_alloy, magnet",
     "public basis: DoD-MP NdPr floor $110/kg; expected support rate illustrative"),
    ("JP-JBIC-loan", "loan", "JBIC", "JP", 3000, 0.05, 1.0, 0.6, 50, "", "",
     "JBIC majority lender; rate illustrative"),
    ("JP-JOGMEC-guar", "guarantee", "JOGMEC", "JP", 1000, 0.03, 1.0, 0.5, 0, "",
     "mining, separation, refining, metal_alloy", "illustrative rate"),
    ("JP-NEXI-ins", "guarantee", "NEXI", "JP", 800, 0.02, 0.8, 0.5, 0, "", "",
     "insurance extended to critical minerals 2023; lenders credit 80%; illustrative"),
    ("JP-METI-grant", "grant", "METI", "JP", 200, 1.0, 1.0, 0.33, 0, "JP", "",
     "illustrative"),
    ("JP-JOGMEC-offtake", "offtake", "JOGMEC stockpile", "JP", 600, 0.25, 0.5, 0.4, 0, "", "",
     "stockpile target about 60 days; illustrative"),
]

# project_id, {year: share}
_SCHEDULE: dict[str, dict[int, float]] = {
    "AU-NOL": {2026: 0.4, 2027: 0.4, 2028: 0.2},
    "AU-ENE": {2026: 0.6, 2027: 0.4},
    "US-10X": {2026: 0.3, 2027: 0.4, 2028: 0.3},
    "US-LIH": {2026: 0.3, 2027: 0.4, 2028: 0.3},
    "US-TX": {2026: 0.5, 2027: 0.5},
    "US-OK": {2026: 0.5, 2027: 0.5},
    "CA-NEC": {2026: 0.3, 2027: 0.3, 2028: 0.4},
    "US-GRA": {2026: 0.5, 2027: 0.5},
}

_BUDGET: dict[int, float] = {2026: 110.0, 2027: 90.0, 2028: 60.0}

SCENARIOS: list[dict[str, Any]] = [
    {"scenario": "Budget cut 20%", "change": "budget_factor", "target": "all", "value": 0.8,
     "notes": "appropriations 20% below plan: total and every annual budget; illustrative"},
    {"scenario": "Magnet export ban", "change": "demand_factor", "target": "magnets",
     "value": 1.5,
     "notes": "new Chinese export controls push allied magnet-chain demand up 50%; "
              "illustrative"},
    {"scenario": "Mine permitting delay", "change": "delay_months", "target": "mining",
     "value": 24,
     "notes": "every mine takes two more years to permit and build; illustrative"},
]


# v2 chains. Yields (illustrative where not noted): Mountain Pass concentrate is 15.7% NdPr
# (public), so a separation plant making 1,000 t/y NdPr oxide takes about 6,400 t/y REO; at
# least 1.17 t oxide per t NdPr metal by stoichiometry (public), 1.2 with losses; 1 t of
# finished magnet takes 0.45 t NdPr metal and leaves 0.3 t of swarf (public: 29-32.5% Nd+Pr,
# 60-80% of the block kept); recyclers recover 0.3 t NdPr oxide per t of swarf; 7.5 t of
# spodumene concentrate (SC6) per t of lithium hydroxide.
CONC = ("magnets", "mixed REO concentrate")
OXIDE = ("magnets", "NdPr oxide")
METAL = ("magnets", "NdPr metal")
SWARF = ("magnets", "magnet swarf")
SPODUMENE = ("batteries", "spodumene concentrate")

# Outputs that differ from version 1: mines now make concentrate, magnet plants also swarf.
_CHAIN_OFFTAKE: dict[str, list[tuple[str, str, float]]] = {
    "CA-NEC": [(*CONC, 12000)],
    "US-BRL": [(*CONC, 30000)],
    "US-SUM": [("magnets", "NdFeB magnets", 2000), (*SWARF, 600)],
    "US-FTW": [("magnets", "NdFeB magnets", 1000), (*SWARF, 300)],
    "US-10X": [("magnets", "NdFeB magnets", 7000), (*SWARF, 2100)],
    "JP-MAG": [("magnets", "NdFeB magnets", 3000), (*SWARF, 900)],
}

# project_id, (sector, material), tonnes per year at full output, notes
_INPUTS: list[tuple[str, tuple[str, str], float, str]] = [
    ("US-TX", CONC, 19100, "3,000 t/y NdPr oxide at 15.7% NdPr (public grade)"),
    ("US-OK", CONC, 16600, "2,600 t/y NdPr oxide at 15.7% NdPr (public grade)"),
    ("US-MTP", CONC, 6400, "1,000 t/y NdPr oxide at 15.7% NdPr (public grade)"),
    ("CA-SKR", CONC, 5100, "800 t/y NdPr oxide at 15.7% NdPr (public grade)"),
    ("JP-ALY", OXIDE, 1800, "1.2 t oxide per t metal (public stoichiometry 1.17, plus losses)"),
    ("US-ALY", OXIDE, 2400, "1.2 t oxide per t metal (public stoichiometry 1.17, plus losses)"),
    ("US-SUM", METAL, 900, "0.45 t NdPr metal per t magnet (public: 0.4-0.5)"),
    ("US-FTW", METAL, 450, "0.45 t NdPr metal per t magnet (public: 0.4-0.5)"),
    ("US-10X", METAL, 3150, "0.45 t NdPr metal per t magnet (public: 0.4-0.5)"),
    ("JP-MAG", METAL, 1350, "0.45 t NdPr metal per t magnet (public: 0.4-0.5)"),
    ("JP-RCY", SWARF, 1000, "0.3 t NdPr oxide per t swarf"),
    ("US-RCY", SWARF, 830, "0.3 t NdPr oxide per t swarf"),
    ("CA-KNG", SWARF, 500, "public: about 500 t/y of magnet feed"),
    ("JP-DYR", SWARF, 2000, "3% Dy-Tb oxide recovered from high-Dy grade swarf"),
    ("US-LIH", SPODUMENE, 300000, "7.5 t SC6 per t lithium hydroxide"),
    ("AU-LIH", SPODUMENE, 180000, "7.5 t SC6 per t lithium hydroxide"),
    ("CA-LIH", SPODUMENE, 150000, "7.5 t SC6 per t lithium hydroxide"),
]

# (sector, material), {year: tonnes}, notes
_SUPPLY: list[tuple[tuple[str, str], dict[int, float], str]] = [
    (CONC, {2026: 20000, **dict.fromkeys(range(2027, 2036), 40000)},
     "public basis: Mountain Pass made about 45,000 t REO in concentrate in 2024 and stopped "
     "shipping it to China in 2025; the split by year is illustrative"),
    (OXIDE, dict.fromkeys(range(2026, 2036), 1300),
     "public: Mountain Pass separated about 1,300 t NdPr oxide in 2024"),
    (SWARF, {y: 200 + 50 * n for n, y in enumerate(range(2026, 2036))},
     "illustrative: end-of-life magnet scrap collected in allied countries"),
    (SPODUMENE, dict.fromkeys(range(2026, 2036), 250000),
     "illustrative: Australian and Canadian SC6 not contracted to Chinese converters"),
]

# (sector, material), year (None = every year), max_t (None = unlimited), weight, notes
_IMPORTS: list[tuple[tuple[str, str], int | None, float | None, float, str]] = [
    (CONC, None, 10000, 0.25, "illustrative: concentrate from non-allied mines; weighted "
     "below its NdPr value (0.157 t x 3) so separation plants may run on it"),
    (METAL, 2026, 2000, 3.0, "illustrative: Chinese NdPr metal, weighted like unmet metal "
     "demand; China banned dual-use exports to Japan in January 2026 (public)"),
    (METAL, 2027, 1500, 3.0, "illustrative: tightening export licences"),
    *((METAL, y, 1000.0, 3.0, "illustrative: tightening export licences")
      for y in range(2028, 2036)),
]

_CHAIN_SCENARIOS: list[dict[str, Any]] = [
    {"scenario": "China export ban", "change": "imports_factor", "target": "all", "value": 0,
     "notes": "no concentrate or metal from non-allied sources at all; illustrative"},
    {"scenario": "Japan budget cut 25%", "change": "country_budget_factor", "target": "JP",
     "value": 0.75, "notes": "a smaller Japanese supplementary budget; illustrative"},
]

# v2 stockpiles. The US one is an NdPr oxide reserve on the Project Vault model (an EXIM-backed
# industry stockpile of about 60 days of supply whose users pay loan interest plus storage,
# public); the Japanese one is JOGMEC's heavy rare earth reserve (JOGMEC targets 60 days of
# consumption, up to 180 for high-risk materials, and pays the interest and warehouse costs,
# public). Prices, stocks and rates are illustrative unless noted.
_STOCKPILES: list[dict[str, Any]] = [
    {"stockpile_id": "US-VAULT-NdPr", "country": "US", "sector": "magnets",
     "material": "NdPr oxide", "price_usd_per_kg": 110, "initial_t": 0, "max_stock_t": 1000,
     "buy_until_year": 2027, "max_release_tpa": 600, "holding_cost_pct": 6,
     "notes": "public basis: the DoD-MP NdPr floor of $110/kg; about 60 days of 2026 allied "
              "demand (6,000 t/y); release rate and carrying cost (loan interest plus storage) "
              "illustrative"},
    {"stockpile_id": "JP-JOGMEC-DyTb", "country": "JP", "sector": "magnets",
     "material": "Dy-Tb oxide", "price_usd_per_kg": 350, "initial_t": 50, "max_stock_t": 150,
     "buy_until_year": 2026, "holding_cost_pct": 3,
     "notes": "public basis: JOGMEC's targets of 60 days, up to 180 days for high-risk "
              "materials: 50 t held is about 60 days of 2026 demand (300 t/y), 150 t about "
              "180 days; price and carrying cost illustrative"},
]

# v2 governments: each side's appropriations (illustrative) and a burden-sharing range around
# the 50/50 split of the September 2025 investment MOU (public; the range is illustrative).
_COUNTRY_BUDGETS: list[dict[str, Any]] = [
    {"country": "US", "year": None, "budget_musd": 110, "notes": "DOE, DoD, DFC and EXIM"},
    {"country": "US", "year": 2026, "budget_musd": 60, "notes": "illustrative"},
    {"country": "JP", "year": None, "budget_musd": 120, "notes": "JOGMEC, JBIC, NEXI and METI"},
    {"country": "JP", "year": 2027, "budget_musd": 50, "notes": "illustrative"},
]
_COST_SHARE: list[dict[str, Any]] = [
    {"country": "US", "min_share": 0.35, "max_share": 0.65,
     "notes": "illustrative range around the MOU's 50/50"},
    {"country": "JP", "min_share": 0.35, "max_share": 0.65,
     "notes": "illustrative range around the MOU's 50/50"},
]

#: Illustrative stage defaults (domain notes, "Schedule risk": McKinsey 2024, EY 2015).
_RISK_NOTE = "illustrative default after McKinsey (2024) and EY (2015) overrun rates"
_RISK: list[dict[str, Any]] = [
    {"stage": stage, "failure_prob": fail, "delay_mode_months": mode, "delay_max_months": top,
     "notes": _RISK_NOTE + note}
    for stage, fail, mode, top, note in (
        ("mining", 0.3, 12, 48, ""), ("separation", 0.15, 6, 24, ""),
        ("refining", 0.15, 6, 24, "; the notes give no refining figures: separation's"),
        ("metal_alloy", 0.05, 3, 12, "; failure as for magnet plants"),
        ("magnet", 0.05, 3, 12, ""), ("recycling", 0.1, 0, 6, ""))]
#: Per-project risk overrides where public facts suggest them.
_RISK_OVERRIDES = {
    "AU-ENE": {"delay_mode_months": 24, "delay_max_months": 36,
               "note": "; first oxide slipped 2025 -> 2027 (delay mode 24, max 36 months)"},
}


def _years() -> range:
    return range(2026, 2036)


def example_data(chains: bool = True) -> dict[str, list[dict[str, Any]]]:
    """The worked example as sheet -> rows of column -> value (version 1's without chains)."""
    project_cols = ("project_id", "name", "country", "stage", "capex_musd", "sponsor_equity_musd",
                    "lead_time_months", "start_year", "lock", "requires", "exclusive_group",
                    "notes")
    pool_cols = ("pool_id", "instrument", "funder", "country", "capacity_musd",
                 "budget_cost_rate", "gap_credit", "max_share_of_capex", "min_ticket_musd",
                 "eligible_countries", "eligible_stages", "notes")
    demand_rows = []
    for sector, material, first, last, weight, note in _DEMAND:
        for n, year in enumerate(_years()):
            tonnes = round(first + (last - first) * n / 9)
            demand_rows.append({"sector": sector, "material": material, "year": year,
                                "demand_t": tonnes, "weight": weight,
                                "notes": f"illustrative{': ' + note if note else ''}"})
    projects = [dict(zip(project_cols, row, strict=True)) for row in _PROJECTS]
    offtake = [(p, s, m, v) for p, s, m, v in _OFFTAKE
               if not (chains and p in _CHAIN_OFFTAKE)]
    if chains:
        for project in projects:
            if project["project_id"] == "US-ALY":
                project.update(requires="", notes="illustrative: runs on NdPr oxide (Inputs)")
            if (risk := _RISK_OVERRIDES.get(project["project_id"])) is not None:
                project.update({k: v for k, v in risk.items() if k != "note"},
                               notes=project["notes"] + risk["note"])
        offtake += [(p, s, m, v) for p, rows in _CHAIN_OFFTAKE.items() for s, m, v in rows]
    data = {
        "Settings": SETTINGS,
        "Projects": projects,
        "Offtake": [
            {"project_id": p, "sector": s, "material": m, "volume_tpa": v,
             "notes": _offtake_note(p)}
            for p, s, m, v in offtake
        ],
        "Demand": demand_rows,
        "Financing": [dict(zip(pool_cols, row, strict=True)) for row in _POOLS],
        "CapexSchedule": [
            {"project_id": p, "year": y, "share": s, "notes": ILLUSTRATIVE}
            for p, shares in _SCHEDULE.items() for y, s in shares.items()
        ],
        "Budget": [{"year": y, "budget_musd": b, "notes": ILLUSTRATIVE}
                   for y, b in _BUDGET.items()],
        "Scenarios": SCENARIOS,
    }
    if chains:
        data |= _chain_sheets()
    return data


def _chain_sheets() -> dict[str, list[dict[str, Any]]]:
    """The Inputs, Supply and Imports sheets and the chain scenario."""
    return {
        "Scenarios": [*SCENARIOS, *_CHAIN_SCENARIOS],
        "Inputs": [{"project_id": p, "sector": s, "material": m, "input_tpa": t,
                    "notes": note if PUBLIC in note else f"{ILLUSTRATIVE} yield: {note}"}
                   for p, (s, m), t, note in _INPUTS],
        "Supply": [{"sector": s, "material": m, "year": y, "supply_t": t, "notes": note}
                   for (s, m), years, note in _SUPPLY for y, t in years.items()],
        "Imports": [{"sector": s, "material": m, "year": y, "max_t": cap, "weight": w,
                     "notes": note}
                    for (s, m), y, cap, w, note in _IMPORTS],
        "Stockpiles": _STOCKPILES,
        "CountryBudgets": _COUNTRY_BUDGETS,
        "CostShare": _COST_SHARE,
        "Risk": _RISK,
    }


def _offtake_note(pid: str) -> str:
    public = {"AU-NOL", "ZA-PHA", "US-SUM", "US-FTW", "CA-KNG"}
    return "public capacity figure" if pid in public else ILLUSTRATIVE
