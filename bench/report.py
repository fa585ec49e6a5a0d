"""The page bench's figures as a Markdown block for the README: the machine, every figure, each target."""

from __future__ import annotations

import os
import platform
import sqlite3
import subprocess
from datetime import date

P99_TARGET_MS = 100.0
SHARE_TARGET = 0.15  # of the bare route's requests per second
GROWTH_TARGET = 2.0  # median latency at the largest scale over the smallest, for paginated pages


def machine(database_url: str | None) -> dict[str, str]:
    """What the figures were measured on."""
    model = next((line.split(":", 1)[1].strip() for line in _read("/proc/cpuinfo").splitlines()
                  if line.startswith("model name")), platform.processor() or "unknown CPU")
    kib = next((int(line.split()[1]) for line in _read("/proc/meminfo").splitlines()
                if line.startswith("MemTotal")), 0)
    wrk = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.splitlines()
    database = f"SQLite {sqlite3.sqlite_version}"
    if database_url and database_url.startswith("postgresql"):
        from sqlalchemy import create_engine, text

        engine = create_engine(database_url)
        with engine.connect() as connection:
            database = "PostgreSQL " + connection.execute(text("SHOW server_version")).scalar()
        engine.dispose()
    load = os.getloadavg()
    return {
        "cpu": f"{os.cpu_count()} × {model}", "ram": f"{kib / 1024 / 1024:.0f} GiB",
        "python": platform.python_version(), "database": database,
        "wrk": wrk[0].split(" Copyright")[0] if wrk else "wrk", "load": f"{load[0]:.2f} / {load[1]:.2f}",
    }


def _read(path: str) -> str:
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except OSError:
        return ""


def _cell(figures: dict | None) -> str:
    if not figures:
        return "—"
    flag = "" if figures["not_200"] == 0 and figures["socket_errors"] == 0 else " ⚠"
    return f"{figures['p50']:.1f} / {figures['p99']:.1f} ms · {figures['rps']:,.0f}/s{flag}"


def _verdict(ok: bool | None) -> str:
    return "—" if ok is None else ("PASS" if ok else "**FAIL**")


def block(results: dict[int, dict[str, dict]], targets: list, info: dict, checks: list[str],
          command: str, datasets: dict[int, str]) -> str:
    """The README's performance block: per page and scale median / p99 latency and throughput, the
    growth from the smallest to the largest scale, the share of the bare route, and each target."""
    scales = sorted(results)
    low, high = scales[0], scales[-1]
    bare = results[high].get("bare", {}).get("rps") or 0
    lines = [
        f"Measured {date.today()} with `{command}`: gunicorn, 2 sync workers, on 127.0.0.1; "
        "wrk, 8 connections, after a 1 s warm-up; latency median / p99, then requests per second.",
        "",
        f"Machine: {info['cpu']}, {info['ram']} RAM; Python {info['python']}; {info['database']}; "
        f"{info['wrk']}; load average (1 / 5 min) {info['load']} at the start, "
        f"{info.get('load_after', '?')} at the end (other work on the machine shows there).",
        "",
        "Datasets: " + "; ".join(f"**{s}×** {datasets[s]}" for s in scales) + ".",
        "",
        "| page | " + " | ".join(f"{s}×" for s in scales)
        + f" | p50 growth {low}×→{high}× | req/s vs bare at {high}× | p99 ≤ {P99_TARGET_MS:.0f} ms"
        f" | ≥ {SHARE_TARGET:.0%} of bare | growth ≤ {GROWTH_TARGET:.0f}× |",
        "| --- | " + " | ".join("---:" for _ in scales) + " | ---: | ---: | --- | --- | --- |",
    ]
    for target in targets:
        rows = [results[s].get(target.key) for s in scales]
        first, last = rows[0], rows[-1]
        growth = last["p50"] / first["p50"] if first and last and first["p50"] else None
        share = last["rps"] / bare if last and bare else None
        is_bare = target.key == "bare"
        p99_ok = None if is_bare or not last else last["p99"] <= P99_TARGET_MS
        share_ok = None if is_bare or share is None else share >= SHARE_TARGET
        growth_ok = growth <= GROWTH_TARGET if target.paginated and growth is not None else None
        lines.append(
            f"| {target.label} | " + " | ".join(_cell(r) for r in rows)
            + f" | {'—' if growth is None else f'{growth:.2f}×'} | {'—' if share is None else f'{share:.0%}'}"
            + f" | {_verdict(p99_ok)} | {_verdict(share_ok)} | {_verdict(growth_ok)} |"
        )
    if checks:
        lines += ["", "The pre-session check in process (`bench/check_speed.py`), on the same data:", "",
                  "| data | what | median | p99 | target |", "| --- | --- | ---: | ---: | --- |", *checks]
    lines += ["", "⚠ marks a run in which some answers were not HTTP 200 (the figures are then not to be trusted)."]
    return "\n".join(lines)
