"""The ``chiso`` command: global options, error reporting and command registration."""

from __future__ import annotations

import os
import sys
import traceback
from typing import Any

import typer
from typer.core import TyperGroup

from chiso import __version__
from chiso.cli.output import err_console
from chiso.errors import ChisoError, InputFileError, MethodologyError


def report_error(exc: ChisoError) -> None:
    err_console.print(f"[bold red]Lỗi:[/] {exc.message}", highlight=False)
    if isinstance(exc, InputFileError) and exc.place:
        err_console.print(f"  Vị trí: {exc.place}", highlight=False)
    if isinstance(exc, MethodologyError):
        for issue in exc.issues[:50]:
            err_console.print(f"  - {issue}", highlight=False)
    if exc.hint:
        err_console.print(f"  Gợi ý: {exc.hint}", highlight=False)
    if exc.detail:
        err_console.print(f"  [dim]Chi tiết kỹ thuật: {exc.detail}[/]", highlight=False)


class ChisoGroup(TyperGroup):
    """Reports chiso errors in Vietnamese with their technical detail, never as a traceback."""

    def invoke(self, ctx: typer.Context) -> Any:  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except ChisoError as exc:
            report_error(exc)
            ctx.exit(exc.exit_code)
        except (typer.TyperException, typer.Exit, typer.Abort):
            raise
        except KeyboardInterrupt:
            err_console.print("Đã dừng theo yêu cầu.")
            ctx.exit(130)
        except Exception as exc:  # a bug: say so plainly; the traceback only with CHISO_DEBUG=1
            err_console.print(f"[bold red]Lỗi không mong muốn:[/] {type(exc).__name__}: {exc}", highlight=False)
            err_console.print("  Vui lòng báo lỗi kèm lệnh đã chạy. Đặt CHISO_DEBUG=1 để xem chi tiết.")
            if os.environ.get("CHISO_DEBUG"):
                traceback.print_exc()
            ctx.exit(70)


app = typer.Typer(
    cls=ChisoGroup,
    help="chiso — Bộ chỉ số phục vụ người dân, doanh nghiệp (QĐ 766/QĐ-TTg): nhập, kiểm tra, xếp hạng, giải thích.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"chiso {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    db: str = typer.Option(
        None,
        "--db",
        envvar="CHISO_DB",
        help="Kho dữ liệu: tệp DuckDB (mặc định ./chiso.duckdb), URL postgresql:// hoặc Spark "
        "(spark://local[*]?warehouse=THƯ_MỤC, sc://máy:cổng?warehouse=…); xem docs/scale.md",
    ),
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="In phiên bản."),
) -> None:
    """Lệnh gốc: chọn kho dữ liệu dùng chung cho mọi lệnh."""
    ctx.obj = {"db": db}


from chiso.cli import (  # noqa: E402  (commands register on import)
    demo_cmd,
    local_cmds,
    methodology_cmds,
    official_cmds,
    report_cmd,
    web_cmds,
)

official_cmds.register(app)
methodology_cmds.register(app)
local_cmds.register(app)
report_cmd.register(app)
demo_cmd.register(app)
web_cmds.register(app)
from chiso.cli import generate_cmd  # noqa: E402

generate_cmd.register(app)
from chiso.cli import notify_cmds  # noqa: E402

notify_cmds.register(app)
from chiso.cli import portal_cmds  # noqa: E402

portal_cmds.register(app)
from chiso.cli import units_cmd  # noqa: E402

units_cmd.register(app)


def main() -> None:
    sys.exit(app(prog_name="chiso"))
