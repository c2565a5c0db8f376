"""`flask --app webapp registry import FILE.csv` and `registry demo --count N`."""
import os
import sys

import click
from flask.cli import AppGroup

from webapp.core import unit_of_work
from webapp.core.unit_of_work import transaction
from webapp.registry import importer, local, service

MAX_LISTED_ERRORS = 1000

registry_cli = AppGroup("registry", help="The local 工商 registry behind autofill.")


@registry_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@transaction
def import_command(path):
    """Upsert companies from a CSV (UTF-8 or GBK) into the local registry, by tax ID."""
    size = os.path.getsize(path)
    with open(path, "rb") as binary, click.progressbar(
            length=size, label="导入工商信息", file=sys.stderr) as bar:
        report = importer.import_csv(binary, progress=lambda pos: bar.update(pos - bar.pos))
        bar.update(size - bar.pos)
    unit_of_work.commit()  # the rows first: the index upkeep below works on committed rows
    local.optimize()
    for line, message in report.errors[:MAX_LISTED_ERRORS]:
        click.echo(f"第 {line} 行：{message}（已跳过）", err=True)
    if len(report.errors) > MAX_LISTED_ERRORS:
        click.echo(f"……另有 {len(report.errors) - MAX_LISTED_ERRORS} 行错误未列出", err=True)
    if report.ignored_columns:
        click.echo("未识别的列（已忽略）：" + "、".join(report.ignored_columns), err=True)
    click.echo(f"导入完成：新增 {report.inserted}，更新 {report.updated}，"
               f"跳过 {len(report.errors)} 行错误数据。")


@registry_cli.command("demo")
@click.option("--count", type=click.IntRange(1, 10_000_000), default=1000, show_default=True,
              help="how many synthetic companies to add")
@click.option("--seed", type=int, default=None, help="random seed, for a repeatable set")
@transaction
def demo_command(count, seed):
    """Add realistic synthetic companies (valid check characters) to the local registry."""
    with click.progressbar(length=count, label="生成演示工商数据",
                           file=sys.stderr) as bar:
        service.generate_demo(count, seed=seed, progress=bar.update)
    unit_of_work.commit()  # the rows first: the index upkeep below works on committed rows
    local.optimize()
    click.echo(f"已生成 {count} 家演示企业；工商库共 {local.count()} 家。")
