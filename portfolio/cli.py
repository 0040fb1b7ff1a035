"""Command line: `portfolio template | validate | solve | frontier`.

The commands parse options, call one function of `portfolio.run`, and print what it
returns; `main` is the one place that turns exceptions into a message and an exit code.
`--debug` shows a traceback for an unexpected error, the stage timings (standard
`logging`) and, as `--solver-log` does, the solver's banner and log (on stderr, from the
worker processes too); without them the terminal shows exactly the lines below.
"""

from __future__ import annotations

import logging
import sys
import traceback
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

import click

from portfolio.errors import ExitCode, InvalidWorkbook, PortfolioError, UsageError
from portfolio.model.outcomes import Solver, Status
from portfolio.run import Hooks, Ranking, Request


def _input_path(func: Callable[..., Any]) -> Callable[..., Any]:
    """The workbook argument shared by validate and solve.

    Existence is checked by the read stage, so a missing file is an invalid workbook (exit 3).
    """
    return click.argument("path", type=click.Path(path_type=Path, dir_okay=True))(func)


def _solver_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """--time-limit, --gap and --solver, overriding the Settings sheet; --solver-log."""
    func = click.option("--solver-log", is_flag=True,
                        help="Show the solver's banner and log on stderr, from every process "
                             "(--debug shows them too). Off: the solver prints nothing.")(func)
    func = click.option("--solver", type=click.Choice(list(Solver), case_sensitive=False),
                        default="highs", show_default=True,
                        help="MIP solver. CBC's optimality is not trusted (coin-or/Cbc#337).")(func)
    func = click.option("--gap", type=click.FloatRange(0, 1, max_open=True), default=None,
                        help="Relative MIP gap (default: mip_gap from Settings).")(func)
    return click.option("--time-limit", type=click.FloatRange(0, min_open=True), default=None,
                        help="Seconds per solve (default: time_limit_s from Settings).")(func)


def _where_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """--workers and --scheduler: where the re-solves of a sweep run."""
    func = click.option("--scheduler", metavar="tcp://HOST:PORT", default=None,
                        help="Run re-solves on this Dask scheduler instead of local cores "
                             "(needs portfolio[dask]).")(func)
    return click.option("--workers", type=click.IntRange(1), default=None,
                        help="Local worker processes for re-solves (default: one per core).")(func)


def _sweep_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """--rank, --frontier, --scenarios, --sensitivity: which sweeps `solve` runs."""
    func = _where_options(func)
    func = click.option("--risk-samples", type=click.IntRange(0), default=None,
                        help="Schedule-risk samples (default: risk_samples from Settings; "
                             "0: no risk analysis).")(func)
    for name, what in (("sensitivity", "the Sensitivity sheet (one MIP re-solve per limit)"),
                       ("scenarios", "the Scenarios sheet (one solve per scenario)"),
                       ("frontier", "the Frontier sheet (one solve per budget level)")):
        func = click.option(f"--{name}/--no-{name}", default=True, show_default=True,
                            help=f"Write {what}.")(func)
    return click.option("--rank", "ranking",
                        type=click.Choice(list(Ranking), case_sensitive=False),
                        default="regret", show_default=True,
                        help="Rank selected projects by regret (one re-solve each), or not.")(func)


def _output_option(suffix: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        func = click.option("--json", "json", type=click.Path(path_type=Path, dir_okay=False),
                            default=None, metavar="OUT.json",
                            help="Also write the results as one JSON object (a key per "
                                 "sheet; schema in docs/results.schema.json).")(func)
        return click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False),
                            default=None,
                            help=f"Results workbook (default: outputs/<input stem>-{suffix}.xlsx)."
                            )(func)
    return decorate


def _warn(message: str) -> None:
    click.echo(f"warning: {message}", err=True)


@contextmanager
def _progress(label: str, length: int) -> Iterator[Callable[[], object]]:
    """A progress bar on stderr for one sweep; yields the per-task callback."""
    with click.progressbar(length=length, label=label, file=sys.stderr) as bar:
        yield lambda: bar.update(1)


HOOKS = Hooks(warn=_warn, progress=_progress)


def _request(path: Path, output: Path | None, solver: str, time_limit: float | None,
             gap: float | None, solver_log: bool, **sweeps: Any) -> Request:
    if "ranking" in sweeps:
        sweeps["ranking"] = Ranking(sweeps["ranking"].lower())
    debug = bool(click.get_current_context().obj)  # --debug, as `main` or `cli` found it
    return Request(path=path, output=output, solver=Solver(solver.lower()),
                   time_limit=time_limit, gap=gap, solver_log=solver_log or debug, **sweeps)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="portfolio")
@click.option("--debug", is_flag=True,
              help="Show a traceback for an unexpected error, the time of each stage and the "
                   "solver's log (as --solver-log).")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """Choose and finance critical-mineral projects to cover priority-sector demand early."""
    ctx.obj = bool(ctx.obj) or debug  # `main` takes --debug out of the arguments: obj=True


@cli.command()
@click.argument("path", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--example", is_flag=True,
              help="Write the worked example instead of a blank template.")
@click.option("--force", is_flag=True, help="Replace PATH if it already exists.")
def template(path: Path, example: bool, force: bool) -> None:
    """Write the blank input template (or the worked example) to PATH."""
    from portfolio.inputs.example import example_data
    from portfolio.inputs.template import write_template

    if path.exists() and not force:
        raise UsageError(f"{path} already exists; choose another name or add --force to "
                         "replace it")
    write_template(path, example_data() if example else None)
    click.echo(f"wrote {path}")


@cli.command()
@_input_path
def validate(path: Path) -> None:
    """Check a filled-in workbook and print every problem at once."""
    from portfolio.run import load

    case = load(path, HOOKS)
    click.echo(f"{path}: valid: {case.contents}")


@cli.command()
@_input_path
@_output_option("portfolio")
@click.option("--compare", type=click.Path(path_type=Path, dir_okay=False, exists=True),
              default=None, metavar="PREVIOUS.xlsx",
              help="Add a Changes sheet: what moved against this earlier results workbook.")
@_solver_options
@_sweep_options
def solve(path: Path, output: Path | None, time_limit: float | None, gap: float | None,
          solver: str, solver_log: bool, **sweeps: Any) -> None:
    """Choose projects and their financing; write the ranked results workbook."""
    from portfolio import run

    report = run.solve(_request(path, output, solver, time_limit, gap, solver_log, **sweeps),
                       HOOKS)
    status = report.solution.status
    if status is Status.INFEASIBLE:
        _fail(ExitCode.INFEASIBLE, "no feasible portfolio exists under the hard constraints:",
              report.diagnosis, report.target, report.json)
    if status is Status.NO_SOLUTION:
        _fail(ExitCode.NO_SOLUTION, "time limit reached before any feasible portfolio was found:",
              report.diagnosis, report.target, report.json)
    click.echo(report.headline)
    _wrote(report.target, report.json)


def _wrote(*paths: Path | None) -> None:
    for path in paths:
        if path is not None:
            click.echo(f"wrote {path}")


@cli.command("frontier")
@_input_path
@_output_option("frontier")
@_solver_options
@_where_options
def frontier_command(path: Path, output: Path | None, time_limit: float | None,
                     gap: float | None, solver: str, solver_log: bool, **where: Any) -> None:
    """Write only the efficient frontier: the optimum at budget levels 0 to 150%."""
    from portfolio import run

    report = run.frontier(_request(path, output, solver, time_limit, gap, solver_log, **where),
                          HOOKS)
    points = report.frontier.points if report.frontier else ()
    solved = sum(1 for p in points if p.variant.solved)
    click.echo(f"frontier: {solved} of {len(points)} budget levels have a feasible portfolio")
    _wrote(report.target, report.json)


def _fail(code: ExitCode, headline: str, lines: Sequence[str], target: Path | None,
          json: Path | None) -> NoReturn:
    click.echo(f"portfolio: {headline}", err=True)
    for line in lines:
        click.echo(f"  - {line}", err=True)
    click.echo(f"wrote {target} (see its Diagnosis sheet)", err=True)
    if json is not None:
        click.echo(f"wrote {json}", err=True)
    sys.exit(int(code))


def main(argv: list[str] | None = None) -> NoReturn:
    """Entry point: run the CLI and map every outcome to the contract's exit codes."""
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args  # accepted before or after the command's name
    if debug:
        args = [a for a in args if a != "--debug"]
        logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                            format="portfolio: %(message)s")
    try:
        cli.main(args=args, prog_name="portfolio", standalone_mode=False, obj=debug)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        click.echo("portfolio: aborted", err=True)
        sys.exit(int(ExitCode.FAILURE))
    except click.ClickException as exc:
        exc.show()
        sys.exit(int(ExitCode.USAGE) if isinstance(exc, click.UsageError) else exc.exit_code)
    except InvalidWorkbook as exc:
        for issue in exc.issues:
            click.echo(str(issue), err=True)
        click.echo(f"portfolio: the workbook is invalid ({len(exc.issues)} problem"
                   f"{'s' if len(exc.issues) != 1 else ''}); nothing was written", err=True)
        sys.exit(int(exc.exit_code))
    except PortfolioError as exc:
        click.echo(f"portfolio: {exc}", err=True)
        sys.exit(int(exc.exit_code))
    except KeyboardInterrupt:
        click.echo("portfolio: interrupted", err=True)
        sys.exit(int(ExitCode.FAILURE))
    except Exception as exc:  # the last resort: one line, and a traceback only with --debug
        if debug:
            traceback.print_exc()
        reason = str(exc).splitlines()[0] if str(exc) else ""
        click.echo(f"portfolio: failed: {type(exc).__name__}: {reason}", err=True)
        sys.exit(int(ExitCode.FAILURE))
    sys.exit(int(ExitCode.SOLVED))
