"""Nothing lost: the input and every earlier result survive bad output paths, full disks
and signals. Each fault is real: a small tmpfs (where the machine allows mounting one),
a file-size limit on a real child process, real SIGTERM and SIGINT."""

from __future__ import annotations

import contextlib
import hashlib
import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import highspy
import pytest

from optimizer.outputs import remove_stale_temporaries
from tests.alliances import sheets
from tests.conftest import write_workbook

REPO = Path(__file__).resolve().parents[1]


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def stockpile(*args: str, limit_file_size: int | None = None,
              **popen) -> subprocess.CompletedProcess:
    def limit():
        if limit_file_size is not None:
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG, as a full disk's ENOSPC
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit_file_size, limit_file_size))
    return subprocess.run([sys.executable, "-m", "optimizer", *args], capture_output=True,
                          text=True, check=False, cwd=REPO, preexec_fn=limit, timeout=300,
                          **popen)


def small_alliance(path: Path, code_length: int = 1) -> Path:
    a, f, h, i, p = (letter * code_length for letter in "AFHIP")
    return write_workbook(path, sheets(periods=[p], allies=[[a]], items=[[i]],
                                       production=[[f, h, i, 100, 10, 0]],
                                       requirements=[[a, i, p, 50]]))


def temporaries(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*") if ".stockpile-" in p.name)


@contextlib.contextmanager
def small_tmpfs(folder: Path, size: str):
    folder.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs",
                              str(folder)], capture_output=True, check=False)
    if mounted.returncode != 0:
        pytest.skip("cannot mount a tmpfs here (needs root); the file-size-limit tests "
                    "cover the same fault")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


# --------------------------------------------------------------------------------------
# Output paths, checked before solving


@pytest.mark.parametrize(("option", "target", "says"), [
    ("--write-lp", "input", "the LP file {p} would overwrite the input workbook"),
    ("--write-lp", "folder", "the LP file {p} would replace a folder of that name"),
    ("--write-lp", "report", "the LP file {p} is the same file as the report (--out)"),
    ("--write-lp", "long name", "is 300 bytes, longer than the 255 this file system allows"),
])
def test_every_output_path_is_refused_before_solving(tmp_path, option, target, says):
    workbook = small_alliance(tmp_path / "a.xlsx")
    before = digest(workbook)
    out = tmp_path / "reports"
    path = {"input": workbook, "folder": tmp_path, "report": out / "a_report.xlsx",
            "long name": tmp_path / ("l" * 297 + ".lp")}[target]
    run = stockpile("solve", str(workbook), "--out", str(out), option, str(path))
    assert run.returncode == 2, run.stderr
    assert says.format(p=path) in run.stderr
    assert "nothing was solved or written" in run.stderr
    assert "Traceback" not in run.stderr
    assert digest(workbook) == before
    assert not out.exists()


def test_a_read_only_report_folder_is_named_before_solving(tmp_path):
    workbook = small_alliance(tmp_path / "a.xlsx")
    out = tmp_path / "locked"
    out.mkdir()
    with small_tmpfs(tmp_path / "ro", "1m") as read_only:
        subprocess.run(["mount", "-o", "remount,ro", str(read_only)], check=True)
        run = stockpile("solve", str(workbook), "--out", str(read_only))
    assert run.returncode == 2
    assert (f"--out: the report {read_only / 'a_report.xlsx'} cannot be written: "
            f"{read_only}: Read-only file system; choose another file with --out") in run.stderr
    assert ".stockpile-" not in run.stderr and "Traceback" not in run.stderr


def test_the_html_page_is_never_a_folder_and_nothing_is_written_first(tmp_path):
    workbook = small_alliance(tmp_path / "a.xlsx")
    out = tmp_path / "reports"
    (out / "a_report.html").mkdir(parents=True)
    run = stockpile("solve", str(workbook), "--out", str(out), "--html")
    assert run.returncode == 2
    assert "the HTML report" in run.stderr and "would replace a folder" in run.stderr
    assert sorted(p.name for p in out.iterdir()) == ["a_report.html"]


# --------------------------------------------------------------------------------------
# LP files


def test_an_lp_file_of_64_character_codes_shortens_names_and_keeps_the_map(tmp_path):
    workbook = small_alliance(tmp_path / "long.xlsx", code_length=64)
    lp_file = tmp_path / "model.lp"
    lp_file.write_text("an earlier LP file")
    run = stockpile("solve", str(workbook), "--out", str(tmp_path / "r"),
                    "--write-lp", str(lp_file))
    assert run.returncode == 0, run.stderr
    text = lp_file.read_text()
    full = "x_" + "_".join(letter * 64 for letter in "FIAP")
    mapped = [line for line in text.splitlines() if line.startswith("\\ ") and full in line]
    assert len(mapped) == 1
    short = mapped[0].split(" = ")[0].removeprefix("\\ ")
    assert len(short) <= 100 and short.startswith("x_FFFF")
    assert f" {short} " in text.split("Subject To")[0] or f" {short}\n" in text
    # the same short names on every run
    again = tmp_path / "again.lp"
    stockpile("solve", str(workbook), "--out", str(tmp_path / "r"), "--write-lp", str(again))
    assert again.read_text() == text
    # and HiGHS reads it to the plan's optimum: 50 units at 10
    highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    assert highs.readModel(str(lp_file)) == highspy.HighsStatus.kOk
    highs.run()
    assert highs.getInfo().objective_function_value == pytest.approx(500)
    assert temporaries(tmp_path) == []


# --------------------------------------------------------------------------------------
# Full disks


def test_a_full_disk_leaves_the_earlier_report_and_says_which_file(tmp_path):
    workbook = small_alliance(tmp_path / "a.xlsx")
    with small_tmpfs(tmp_path / "disk", "200k") as disk:
        assert stockpile("solve", str(workbook), "--out", str(disk)).returncode == 0
        report = disk / "a_report.xlsx"
        before = digest(report)
        filler = disk / "filler"
        with open(filler, "wb", buffering=0) as handle, contextlib.suppress(OSError):
            while True:  # fill the disk to its last block
                handle.write(b"\0" * 4096)
        run = stockpile("solve", str(workbook), "--out", str(disk))
        assert run.returncode == 1, run.stderr
        # The last line, after the stages of the run (shown on a pipe too).
        assert run.stderr.strip().splitlines()[-1] == (
            f"error: could not write {report}: No space left on device; the earlier "
            "a_report.xlsx is unchanged")
        assert digest(report) == before
        assert temporaries(disk) == []


@pytest.mark.parametrize("command", ["solve", "compare", "sweep"])
def test_a_file_too_large_to_write_is_one_sentence_and_the_earlier_file_survives(
        tmp_path, command):
    workbook = small_alliance(tmp_path / "a.xlsx")
    out = tmp_path / "out"
    first = stockpile("solve", str(workbook), "--out", str(out))
    assert first.returncode == 0, first.stderr
    report = out / "a_report.xlsx"
    args = {"solve": ["solve", str(workbook), "--out", str(out)],
            "compare": ["compare", str(report), str(report), "-o", str(out / "diff.xlsx")],
            "sweep": ["sweep", str(workbook), "--budget-scale", "0.5", "--out", str(out)]}
    written = {"solve": report, "compare": out / "diff.xlsx",
               "sweep": out / "a_sweep.xlsx"}[command]
    if command != "solve":
        assert stockpile(*args[command]).returncode == 0
    before = digest(written)
    run = stockpile(*args[command], limit_file_size=2048)
    assert run.returncode == 1, run.stderr
    lines = run.stderr.strip().splitlines()
    assert lines[-1] == (f"error: could not write {written}: the file is larger than this "
                         f"process may write (File too large); the earlier {written.name} "
                         "is unchanged")
    assert "Traceback" not in run.stderr
    assert digest(written) == before
    assert temporaries(out) == []


# --------------------------------------------------------------------------------------
# Signals


def long_alliance(path: Path) -> Path:
    run = stockpile("generate", str(path), "--allies", "12", "--items", "8", "--lines", "160",
                    "--periods", "16", "--fractional")
    assert run.returncode == 0, run.stderr
    return path


@pytest.mark.parametrize(("sent", "code", "name"), [
    (signal.SIGTERM, 143, "SIGTERM"), (signal.SIGINT, 130, "Ctrl-C (SIGINT)")])
def test_a_signal_during_the_solve_stops_cleanly_and_keeps_the_earlier_report(
        tmp_path, sent, code, name):
    workbook = long_alliance(tmp_path / "big.xlsx")
    out = tmp_path / "out"
    out.mkdir()
    report = out / "big_report.xlsx"
    report.write_bytes(b"the earlier report")
    child = subprocess.Popen(
        [sys.executable, "-m", "optimizer", "solve", str(workbook), "--out", str(out),
         "--set", "explain.rule_prices=true"],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(4)  # reading and building take about 1 s; the solves take far longer
    assert child.poll() is None, "the run ended before the signal: make the alliance bigger"
    started = time.perf_counter()
    child.send_signal(sent)
    _, err = child.communicate(timeout=60)
    assert child.returncode == code
    assert time.perf_counter() - started < 10
    assert err.strip().splitlines()[-1] == (
        f"stopped by {name}: the run did not finish; nothing half-written was left and "
        "every earlier file is unchanged")
    assert report.read_bytes() == b"the earlier report"
    assert temporaries(out) == []


def test_stale_temporaries_older_than_a_day_are_removed_and_young_ones_kept(tmp_path):
    workbook = small_alliance(tmp_path / "a.xlsx")
    out = tmp_path / "out"
    out.mkdir()
    stale = out / ".stockpile-a_report.xlsx-0123456789ab.tmp"
    young = out / ".stockpile-a_report.xlsx-ba9876543210.tmp"
    for path in (stale, young):
        path.write_bytes(b"PK half a zip")
    two_days_ago = time.time() - 2 * 86400
    os.utime(stale, (two_days_ago, two_days_ago))
    assert stockpile("solve", str(workbook), "--out", str(out)).returncode == 0
    assert not stale.exists() and young.exists()
    assert remove_stale_temporaries([out], older_than=0) == [young]
