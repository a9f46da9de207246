"""`syncdoctor dev`: tools for the people who build and measure syncdoctor."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from syncdoctor.api.snapshots import generate

from .common import fail
from .outputs import write_output
from .diagnose import snapshot_text

app = typer.Typer(help="Developer tools: synthetic orgs for benchmarks and scale tests.", no_args_is_help=True)


@app.command("generate-org")
def generate_org(
    users: Annotated[int, typer.Option("--users", min=1, max=2_000_000, help="How many Salesforce users.")],
    out: Annotated[Path, typer.Option("--out", help="Snapshot to write: .json or .yaml.", dir_okay=False)],
    seed: Annotated[int, typer.Option("--seed", help="Same seed and size, same snapshot.")] = 1,
    depth: Annotated[int, typer.Option("--depth", min=4, max=500, help="Depth of the role hierarchy's spine.")] = 10,
) -> None:
    """Write a valid synthetic snapshot of realistic shape (roles --depth deep, groups nested 5 deep
    with a cycle, assignments of every type, inactive users, recycle-bin AE users, unknowns).

    Example:

        syncdoctor dev generate-org --users 10000 --seed 7 --out big.json
    """
    if out.suffix.lower() not in (".json", ".yaml", ".yml"):
        raise fail(f"{out}: the extension says the format: .json, .yaml or .yml")
    write_output(snapshot_text(generate(users, seed, depth), out), out)
