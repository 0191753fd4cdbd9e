"""The benchmark's results as Markdown and as a chart, and the machine they were measured on."""

import datetime
import os
import platform
import re
from importlib import metadata
from pathlib import Path
from typing import Any

from tooling.drivers import DISPLAY_NAMES

PACKAGES = [
    "fastapi", "fastapi-users", "fastapi-users-db-sqlalchemy", "sqlalchemy", "uvicorn", "httpx",
    "asyncpg", "aiosqlite", "asyncmy",
]  # fmt: skip
README_START = "<!-- benchmark:start -->"
README_END = "<!-- benchmark:end -->"


def machine(server_versions: dict[str, str], note: str) -> dict[str, str]:
    """What the figures depend on: processor, memory, system, versions."""
    cpuinfo = Path("/proc/cpuinfo")
    model = platform.processor() or "unknown"
    if cpuinfo.exists():
        found = re.search(r"^model name\s*:\s*(.+)$", cpuinfo.read_text(), re.MULTILINE)
        model = found.group(1) if found else model
    memory = "unknown"
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        found = re.search(r"^MemTotal:\s*(\d+) kB", meminfo.read_text(), re.MULTILINE)
        memory = f"{int(found.group(1)) / 1024**2:.0f} GiB" if found else memory
    versions = {name: metadata.version(name) for name in PACKAGES}
    return {
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "processor": f"{model}, {os.cpu_count()} cores",
        "memory": memory,
        "system": platform.platform(),
        "python": platform.python_version(),
        "packages": ", ".join(f"{name} {version}" for name, version in versions.items()),
        "servers": ", ".join(f"{DISPLAY_NAMES[dbms]} {v}" for dbms, v in server_versions.items()),
        "note": note,
    }


def milliseconds(figures: dict[str, float]) -> str:
    return f"{figures['median_ms']:.3g} / {figures['p99_ms']:.3g}"


def ratio(value: float) -> str:
    return f"{value:,.0f}x" if value >= 10 else f"{value:.2f}x"


def statuses(counts: dict[str, int]) -> str:
    return ", ".join(f"{status}: {count}" for status, count in counts.items())


def markdown(results: dict[str, Any]) -> str:
    """The results as the Markdown that bench/results/benchmark.md and the README show."""
    info = results["machine"]
    load = results["load"]
    runs = results["lookups"] + results["http"]
    dates: dict[str, list[str]] = {}
    for run in runs:
        names = dates.setdefault(run.get("measured", info["date"]), [])
        if DISPLAY_NAMES[run["dbms"]] not in names:
            names.append(DISPLAY_NAMES[run["dbms"]])
    when = " and ".join(
        date if len(dates) == 1 else f"{date} ({', '.join(names)})"
        for date, names in sorted(dates.items())
    )
    lines = [
        f"Measured {when} on {info['processor']}, {info['memory']}, {info['system']}, "
        f"Python {info['python']}. {info['note']}".rstrip(),
        "",
        f"Versions: {info['packages']}; {info['servers']}.",
    ]
    if results["lookups"]:
        lines += [
            "",
            "**Lookups** through the adapters, in one process, on the same rows: milliseconds, "
            "median / p99, addresses in random case. Stock: `SQLAlchemyUserDatabase` on the "
            "documentation's model; generated: `UserDatabase` on the generated model; floor: "
            "`get` by primary key.",
            "",
            "| DBMS | Rows | Stock `get_by_email` | Generated `get_by_email` | Floor: `get` | "
            "Stock ÷ generated | Generated ÷ floor |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        for run in results["lookups"]:
            stock, generated, floor = run["stock"], run["generated"], run["primary_key"]
            lines.append(
                f"| {DISPLAY_NAMES[run['dbms']]} | {run['rows']:,} | {milliseconds(stock)} | "
                f"{milliseconds(generated)} | {milliseconds(floor)} | "
                f"{ratio(stock['median_ms'] / generated['median_ms'])} | "
                f"{ratio(generated['median_ms'] / floor['median_ms'])} |"
            )
    if results["http"]:
        lines += [
            "",
            f"**HTTP** on loopback, the two apps served side by side by uvicorn (one worker each), "
            f"{load['clients']} concurrent clients: {load['users']} registrations, "
            f"{load['races']} races in which every client registers one address at once "
            f"({load['clients'] // 2} spellings, each sent twice), {load['users']} logins, then "
            f"{load['me_requests']} `GET /users/me` in {load['rounds']} rounds that alternate "
            "between the apps. Requests per second; 5xx counts every server error and failed "
            "connection of all phases.",
            "",
            "| DBMS | App | Register /s | Login /s | `/users/me` /s | Race: responses | "
            "Race: duplicate accounts | 5xx |",
            "| --- | --- | ---: | ---: | ---: | --- | ---: | ---: |",
        ]
        for run in results["http"]:
            phases = run["phases"]
            # The storm's and the sessions' errors are in their own tables.
            server_errors = sum(
                phases[name]["server_errors"]
                for name in phases
                if name not in ("storm", "sessions")
            )
            lines.append(
                f"| {DISPLAY_NAMES[run['dbms']]} | {run['app']} | "
                f"{phases['register']['per_second']:.1f} | "
                f"{phases['login']['per_second']:.1f} | {phases['me']['per_second']:.0f} | "
                f"{statuses(phases['race']['statuses'])} | "
                f"{phases['race']['duplicate_accounts']} | {server_errors} |"
            )
    storms = [run for run in results["http"] if "storm" in run["phases"]]
    if storms:
        lines += ["", *storm_table(storms, load["storm"])]
    measured_sessions = [run for run in results["http"] if "sessions" in run["phases"]]
    if measured_sessions:
        lines += ["", *sessions_table(measured_sessions, load["sessions"])]
    return "\n".join(lines) + "\n"


def sessions_table(runs: list[dict[str, Any]], options: dict[str, Any]) -> list[str]:
    """The sessions runs (bench/sessions.py): /users/me of both apps side by side, refresh and
    logins, with the sessions the logins left, then with many more loaded."""
    lines = [
        f"**Sessions**, measured with wrk (one thread, {options['connections']} connections) on "
        f"the same two servers: `GET /users/me` with {options['connections']} sessions' tokens "
        "in turn, the generated app's refresh (each refresh token spent by its refresh, the "
        f"next one read from its answer), and logins on {options['login_connections']} "
        "connections; first with the sessions the benchmark's "
        "own logins started, then with as many users more in both apps and a live session "
        "and its refresh token for each of them in the generated app's tables, loaded by "
        f"INSERT ... SELECT. Runs of {options['seconds']:g} s, {options['rounds']} rounds "
        "alternating between the apps, medians of the rounds; answers per second (2xx only), "
        "latencies in milliseconds, p50 / p99. The target is a generated `/users/me` of at "
        "least 1.5x the stock one.",
        "",
        "| DBMS | Sessions loaded | Stock `/users/me` /s | Generated `/users/me` /s | "
        "Generated ÷ stock | Generated `/users/me` ms | Refreshes /s | Refresh ms | "
        "Logins /s: stock | Logins /s: generated | Errors |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    by_dbms: dict[str, dict[str, dict[str, Any]]] = {}
    for run in runs:
        by_dbms.setdefault(run["dbms"], {})[run["app"]] = run["phases"]["sessions"]
    for dbms, apps in by_dbms.items():
        stock, generated = apps["stock"], apps["generated"]
        for state in ["empty", "loaded"]:
            stock_figures, figures = stock[state], generated[state]
            me, refresh = figures["me"], figures["refresh"]
            errors = sum(
                app[state]["bad_statuses"] + app[state]["failures"] for app in (stock, generated)
            )
            loaded = generated["sessions_loaded"] if state == "loaded" else 0
            lines.append(
                f"| {DISPLAY_NAMES[dbms]} | {loaded:,} | {stock_figures['me']['per_second']:.0f} | "
                f"{me['per_second']:.0f} | "
                f"{me['per_second'] / stock_figures['me']['per_second']:.2f}x | "
                f"{me['p50_ms']:.3g} / {me['p99_ms']:.3g} | {refresh['per_second']:.0f} | "
                f"{refresh['p50_ms']:.3g} / {refresh['p99_ms']:.3g} | "
                f"{stock_figures['login']['per_second']:.1f} | "
                f"{figures['login']['per_second']:.1f} | {errors} |"
            )
    return lines


def storm_table(runs: list[dict[str, Any]], options: dict[str, Any]) -> list[str]:
    """The login storm's figures (bench/storm.py), idle beside storm, and their ratios."""
    lines = [
        f"**Login storm**, measured with wrk (one thread, {options['connections']} connections) "
        "on the same two servers: `GET /users/me` alone (idle), then while "
        f"{options['login_connections']} more connections log in as fast as the server lets "
        f"them (storm); runs of {options['seconds']:g} s, {options['rounds']} rounds alternating "
        "between the apps, medians of the rounds. Latencies in milliseconds, p50 / p99. Kept: "
        "storm ÷ idle throughput; the target is at least 70% kept and a p99 within 3x idle.",
        "",
        "| DBMS | App | Idle /s | Idle ms | Idle ÷ stock | Storm /s | Storm ms | Kept | "
        "p99 storm ÷ idle | Logins /s | Errors |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    stock_idle = {
        run["dbms"]: run["phases"]["storm"]["idle"]["per_second"]
        for run in runs
        if run["app"] == "stock"
    }
    for run in runs:
        figures = run["phases"]["storm"]
        idle, storm = figures["idle"], figures["storm"]
        versus_stock = (
            f"{idle['per_second'] / stock_idle[run['dbms']]:.2f}x"
            if run["dbms"] in stock_idle
            else "n/a"
        )
        lines.append(
            f"| {DISPLAY_NAMES[run['dbms']]} | {run['app']} | {idle['per_second']:.0f} | "
            f"{idle['p50_ms']:.3g} / {idle['p99_ms']:.3g} | {versus_stock} | "
            f"{storm['per_second']:.0f} | {storm['p50_ms']:.3g} / {storm['p99_ms']:.3g} | "
            f"{storm['per_second'] / idle['per_second']:.0%} | "
            f"{storm['p99_ms'] / idle['p99_ms']:.1f}x | {figures['logins_per_second']:.1f} | "
            f"{figures['bad_statuses'] + figures['failures']} |"
        )
    return lines


def chart(results: dict[str, Any], path: Path) -> None:
    """Lookup latencies (log scale) beside /users/me throughput, stock against generated."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (lookups, http) = plt.subplots(1, 2, figsize=(12, 4.5))
    width = 0.27
    runs = results["lookups"]
    for offset, (key, label) in enumerate(
        [("stock", "stock get_by_email"), ("generated", "generated get_by_email"),
         ("primary_key", "get by primary key")]
    ):  # fmt: skip
        positions = [n + (offset - 1) * width for n in range(len(runs))]
        lookups.bar(positions, [run[key]["median_ms"] for run in runs], width, label=label)
    lookups.set_xticks(
        range(len(runs)), [f"{DISPLAY_NAMES[r['dbms']]}\n{r['rows']:,} rows" for r in runs]
    )
    lookups.set_yscale("log")
    lookups.set_ylabel("median latency, ms (log scale)")
    lookups.set_title("Lookup latency")
    lookups.legend()

    runs = results["http"]
    dbms_list = list(dict.fromkeys(run["dbms"] for run in runs))
    for offset, app in enumerate(["stock", "generated"]):
        values = [
            next(
                (
                    r["phases"]["me"]["per_second"]
                    for r in runs
                    if r["dbms"] == d and r["app"] == app
                ),
                0,
            )
            for d in dbms_list
        ]
        http.bar(
            [n + (offset - 0.5) * width for n in range(len(dbms_list))], values, width, label=app
        )
    http.set_xticks(range(len(dbms_list)), [DISPLAY_NAMES[d] for d in dbms_list])
    http.set_ylabel("requests per second")
    http.set_title("GET /users/me throughput")
    http.legend()

    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def update_readme(readme: Path, table: str) -> None:
    """Put the latest results between the README's benchmark markers."""
    text = readme.read_text()
    start, end = text.index(README_START) + len(README_START), text.index(README_END)
    readme.write_text(text[:start] + "\n" + table + text[end:])
