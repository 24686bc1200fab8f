"""Speed of the web pages and API at scale: N dossiers, 20 concurrent users (by hand; not a timed test).

    .venv/bin/python -m bench.web_bench --dossiers 1000000 --users 20 --seconds 60

1. builds (once, kept in --workdir) a store with the shipped official samples and N synthetic dossiers of the
   Gia Lai units, ingested through ``Workspace.ingest`` like any file;
2. starts ``chiso serve`` in its own process on a free local port;
3. runs ``--users`` threads, each logged in as its own user (staff, or a unit viewer for one in four), each
   requesting a fixed mix of pages and API calls until ``--seconds`` have passed;
4. prints p50/p95/max per request and overall, as a Markdown table for docs/benchmarks.md.

Only 127.0.0.1 is ever contacted; the loops are bounded in time and count.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHISO = ROOT / ".venv" / "bin" / "chiso"
PASSWORD = "mat-khau-do-toc-do"
HEAD = [
    "Mã hồ sơ", "Mã đơn vị", "Mã thủ tục", "Kênh nộp", "Ngày tiếp nhận", "Ngày hẹn trả", "Ngày kết thúc xử lý",
    "Trạng thái", "Số lần yêu cầu bổ sung", "Ngày yêu cầu bổ sung đầu tiên", "Thời gian tạm dừng (giờ)",
    "Kết quả điện tử", "Thanh toán trực tuyến", "Phí, lệ phí", "Đồng bộ DVCQG", "Số hóa thành phần",
    "Hồ sơ chứng thực", "Chứng thực điện tử", "Không hài lòng",
]  # fmt: skip
PROCS = (
    "Mã thủ tục,Tên thủ tục,Cấp thực hiện,Mức độ,Đủ điều kiện toàn trình,Có phí,Kết quả là giấy tờ,"
    "Thời hạn giải quyết,Đơn vị thời hạn,Đối tượng cá nhân\n"
    + "".join(f"P{i},Thủ tục {i},Xã;Tỉnh,{3 + i % 2},Có,{'Có' if i % 3 else 'Không'},Có,{1 + i % 10},"
              "Ngày làm việc,Có\n" for i in range(1, 201))
)  # fmt: skip


def _units(db: Path) -> list[tuple[str, str]]:
    from chiso.workspace import Workspace

    ws = Workspace(db=db)
    rows = [(u["unit_code"], u["unit_name"]) for u in ws.units() if u["parent_code"] == "H21"]
    ws.close()
    return rows


def build(workdir: Path, dossiers: int) -> Path:
    """The store: official samples + ``dossiers`` synthetic dossiers over the last 75 days."""
    from chiso.accounts import Accounts
    from chiso.cli.demo_cmd import demo_files
    from chiso.workspace import Workspace

    db = workdir / f"bench-{dossiers}.duckdb"
    if db.exists():
        return db
    workdir.mkdir(parents=True, exist_ok=True)
    tmp = workdir / "building.duckdb"
    tmp.unlink(missing_ok=True)
    ws = Workspace(db=tmp)
    for o in ws.import_official(demo_files()):
        assert o.error is None, o.error
    ws.close()
    units = _units(tmp)
    (workdir / "units.csv").write_text(
        "Mã đơn vị,Tên đơn vị,Loại,Mã đơn vị cha\nH21,UBND tỉnh Gia Lai,tỉnh,\n"
        + "".join(f'{c},"{n}",{"xã" if "UBND" in n else "sở"},H21\n' for c, n in units),
        encoding="utf-8",
    )
    (workdir / "procedures.csv").write_text(PROCS, encoding="utf-8")
    path = workdir / "dossiers.csv"
    rng = random.Random(766)
    now = datetime.now()
    fmt = "%d/%m/%Y %H:%M"
    t0 = time.monotonic()
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(HEAD)
        for i in range(dossiers):
            unit = units[i % len(units)][0]
            received = now - timedelta(minutes=rng.randrange(75 * 24 * 60))
            due = received + timedelta(days=rng.choice((1, 3, 5, 7, 10, 15, 20)))
            age = (now - received).days  # old dossiers are nearly all finished; recent ones often still open
            done = rng.random() < (0.998 if age > 10 else 0.5)
            late = rng.random() < 0.05
            span = (due - received).total_seconds() / 3600
            finished = received + timedelta(hours=span * (1.2 if late else rng.uniform(0.1, 0.95))) if done else None
            if finished and finished > now:
                finished = None
            w.writerow([
                f"{unit}-{i:07d}", unit, f"P{1 + i % 200}", rng.choice((1, 2, 2, 3)), received.strftime(fmt),
                due.strftime(fmt), finished.strftime(fmt) if finished else "", 10 if finished else 4,
                rng.choice((0, 0, 0, 1, 2)), "", "", int(rng.random() < 0.7), int(rng.random() < 0.5),
                rng.choice((0, 0, 20000, 50000)), int(rng.random() < 0.95), int(rng.random() < 0.8),
                int(rng.random() < 0.1), int(rng.random() < 0.05), int(rng.random() < 0.02),
            ])  # fmt: skip
    print(f"wrote {dossiers:,} dossiers in {time.monotonic() - t0:.0f} s", flush=True)
    ws = Workspace(db=tmp)
    t0 = time.monotonic()
    reports = ws.ingest([workdir / "units.csv", workdir / "procedures.csv", path])
    print(f"ingested in {time.monotonic() - t0:.0f} s: "
          + "; ".join(f"{r.file_name} {r.rows_stored:,}/{r.rows_read:,}" for r in reports), flush=True)  # fmt: skip
    accounts = Accounts(ws)
    accounts.save("bench-staff", role="staff", unit="H21", password=PASSWORD)
    for code, _ in units:
        accounts.save(f"bench-{code}", role="viewer", unit=code, password=PASSWORD)
    ws.close()
    tmp.rename(db)
    return db


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _login(client, base: str, name: str) -> None:  # type: ignore[no-untyped-def]
    page = client.get(base + "/login")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    r = client.post(base + "/login", data={"username": name, "password": PASSWORD, "csrf": token, "next": "/"})
    assert r.status_code == 303, (name, r.status_code, r.text[:200])


def mix(unit: str) -> list[tuple[str, str]]:
    """(label, path) requests of one user round, for a unit of Gia Lai."""
    return [
        ("page /", "/"),
        ("page /ranking", "/ranking?parent=H21"),
        ("page /units/{u}", f"/units/{unit}"),
        ("page /units/{u}?source=local", f"/units/{unit}?source=local"),
        ("page /units/{u}/dossiers", f"/units/{unit}/dossiers?metric=ON_TIME"),
        ("page /due", f"/due?unit={unit}"),
        ("api ranking", "/api/v1/ranking?parent=H21"),
        ("api explain", f"/api/v1/units/{unit}/explain"),
        ("api dossiers", f"/api/v1/units/{unit}/dossiers?metric=ON_TIME&page=2"),
        ("api due-soon", f"/api/v1/units/{unit}/due-soon"),
        ("api results local", "/api/v1/results?parent=H21&source=local"),
    ]


Timings = dict[str, list[float]]


def run(db: Path, users: int, seconds: float, think: float = 0.0, warm: bool = True) -> tuple[Timings, Timings]:
    """Timings of every request, and of the requests after each user's first round (cold caches excluded)."""
    import httpx2 as httpx

    units = [c for c, _ in _units(db) if c.startswith("H21.")]  # read before the server locks the file
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "CHISO_DB": str(db)}
    server = subprocess.Popen(
        [str(CHISO), "serve", "--port", str(port), "--data-dir", str(db.parent / "web")],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(base + "/login", timeout=2)
                break
            except httpx.HTTPError:
                assert time.monotonic() < deadline, "server did not start"
                time.sleep(0.3)
        if warm:  # first computation of each local period happens once per process; measure the steady state
            with httpx.Client(timeout=300) as c:
                _login(c, base, "bench-staff")
                t0 = time.monotonic()
                for _, path in mix(units[0]):
                    c.get(base + path)
                print(f"warm-up round: {time.monotonic() - t0:.1f} s", flush=True)
        timings: dict[str, list[float]] = {}
        steady: dict[str, list[float]] = {}
        lock = threading.Lock()
        errors: list[str] = []
        stop_at = time.monotonic() + seconds

        def user(i: int) -> None:
            unit = units[i % len(units)]
            rng = random.Random(i)
            name = "bench-staff" if i % 4 else f"bench-{unit}"
            with httpx.Client(timeout=120) as c:
                _login(c, base, name)
                rounds = 0
                while time.monotonic() < stop_at and rounds < 1000:
                    rounds += 1
                    for label, path in mix(unit):
                        t = time.perf_counter()
                        r = c.get(base + path)
                        took = time.perf_counter() - t
                        with lock:
                            timings.setdefault(label, []).append(took)
                            if rounds > 1:
                                steady.setdefault(label, []).append(took)
                            if r.status_code != 200:
                                errors.append(f"{label} {r.status_code}")
                        if time.monotonic() >= stop_at:
                            break
                        if think:
                            time.sleep(rng.uniform(0.5 * think, 1.5 * think))

        threads = [threading.Thread(target=user, args=(i,)) for i in range(users)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if errors:
            print(f"{len(errors)} non-200 answers, e.g. {errors[:5]}", flush=True)
        return timings, steady
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def report(timings: dict[str, list[float]], args: argparse.Namespace, db: Path, title: str) -> str:
    everything = [x for v in timings.values() for x in v]
    if not everything:
        return f"{title}: no requests"
    lines = [
        f"**{title}** — {args.dossiers:,} dossiers, {args.users} concurrent users (think time {args.think:g} s), "
        f"{args.seconds:.0f} s, "
        f"{len(everything):,} requests ({len(everything) / args.seconds:.1f}/s); machine: {os.cpu_count()} cores; "
        f"store {db.stat().st_size / 1e6:.0f} MB",
        "",
        "| request | n | p50 ms | p95 ms | max ms |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for label, v in sorted(timings.items()):
        p50, p95, top = pct(v, 0.5) * 1000, pct(v, 0.95) * 1000, max(v) * 1000
        lines.append(f"| {label} | {len(v)} | {p50:.0f} | {p95:.0f} | {top:.0f} |")
    lines.append(f"| **all** | {len(everything)} | {statistics.median(everything) * 1000:.0f} | "
                 f"{pct(everything, .95) * 1000:.0f} | {max(everything) * 1000:.0f} |")  # fmt: skip
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dossiers", type=int, default=1_000_000)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--think", type=float, default=0.0, help="mean pause between a user's requests (s)")
    parser.add_argument("--workdir", type=Path, default=ROOT / ".bench")
    parser.add_argument("--fresh", action="store_true", help="rebuild the store")
    args = parser.parse_args()
    if args.fresh and args.workdir.exists():
        shutil.rmtree(args.workdir)
    db = build(args.workdir, args.dossiers)
    timings, steady = run(db, args.users, args.seconds, args.think)
    print(report(timings, args, db, "All requests"))
    print()
    print(report(steady, args, db, "After each user's first round"))


if __name__ == "__main__":
    sys.exit(main())
