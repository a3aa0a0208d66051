"""`make install` finds Python 3.12 and uv by running them, whatever else is on PATH."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def make_install(tmp_path, *, path: str, home: Path) -> subprocess.CompletedProcess:
    # The machine's environment (certificates, package index) without what `uv run` set for
    # this test, and with the PATH and HOME under test.
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("UV", "VIRTUAL_ENV", "PYTHON", "MAKE"))
    }
    env.update(PATH=path, HOME=str(home), PYENV_ROOT=str(home / ".pyenv"))
    return subprocess.run(
        ["make", "--no-print-directory", "install"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def broken_tool(folder: Path, name: str, message: str) -> None:
    tool = folder / name
    tool.write_text(f"#!/bin/sh\necho '{message}' >&2\nexit 127\n")
    tool.chmod(0o755)


def test_install_passes_over_a_broken_uv_and_python_first_on_path(tmp_path):
    broken = tmp_path / "broken"
    broken.mkdir()
    # What pyenv's shims say when the global Python is not the one that has the tool.
    broken_tool(broken, "uv", "pyenv: uv: command not found")
    broken_tool(broken, "python3.12", "pyenv: python3.12: command not found")
    real_home = Path(os.environ.get("HOME", "/root"))

    result = make_install(tmp_path, path=f"{broken}:{os.environ['PATH']}", home=real_home)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "command not found" not in result.stdout + result.stderr


def test_install_without_python_312_says_so_in_one_line(tmp_path):
    bare = tmp_path / "bin"
    bare.mkdir()
    for tool in ("make", "bash", "sh", "timeout", "dirname", "test"):
        found = shutil.which(tool)
        if found:
            (bare / tool).symlink_to(found)
    broken_tool(bare, "python3.12", "not really Python 3.12")
    home = tmp_path / "home"
    home.mkdir()

    result = make_install(tmp_path, path=str(bare), home=home)

    assert result.returncode != 0
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    assert lines == [
        "Python 3.12 is needed and none runs here (python3.12 on PATH or pyenv's "
        "versions/3.12*): install it, e.g. pyenv install 3.12"
    ], result.stdout + result.stderr


@pytest.mark.parametrize("port_taken", [True, False])
def test_port_check_tells_a_taken_port_from_a_free_one(port_taken):
    import socket

    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        port = listener.getsockname()[1]
        if port_taken:
            listener.listen()
        result = subprocess.run([ROOT / "scripts/tools.sh", "port-free", str(port)], timeout=30)
    assert (result.returncode != 0) is port_taken


def test_make_run_says_whether_it_creates_or_upgrades_the_database():
    from civicnet.management.commands.migrate_explained import schema_message

    assert schema_message(where="db.sqlite3", applied=0, pending=90) == (
        "Creating the database (db.sqlite3)."
    )
    assert schema_message(where="db.sqlite3", applied=80, pending=2) == (
        "The database (db.sqlite3) is from an older schema: applying 2 migrations."
    )
    assert schema_message(where="db.sqlite3", applied=90, pending=0) == (
        "The database (db.sqlite3) is up to date."
    )


@pytest.mark.django_db
def test_migrate_explained_on_an_up_to_date_database_says_so():
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("migrate_explained", stdout=out)
    assert "is up to date." in out.getvalue()
