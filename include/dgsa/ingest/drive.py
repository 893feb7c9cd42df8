"""Walk the shared drive (read-only: nothing here writes, moves or deletes) and classify files.

Layout: provinces/<NN-name>/**/<file> and roster/<round>/**/<file>; see submission-format.md.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from dgsa.foundation import config
from dgsa.ingest.normalise import province_from_folder
from dgsa.ingest.formats import SUBMISSION_SUFFIXES

log = logging.getLogger(__name__)
SYSTEM_FILES = {"thumbs.db", ".ds_store", "desktop.ini", "ehthumbs.db", ".localized"}


@dataclass
class Entry:
    rel_path: str
    path: Path
    size: int
    mtime: dt.datetime
    kind: str                       # submission | roster | other
    province_code: str | None = None
    round_code: str | None = None
    status: str | None = None       # set when classification alone decides (ignored / rejected)
    reason_code: str | None = None

    @property
    def stat_key(self) -> tuple[int, dt.datetime]:
        return self.size, self.mtime


def _mtime(st: os.stat_result) -> dt.datetime:
    # microsecond precision: what PostgreSQL timestamptz keeps, so (size, mtime) compares exactly
    return dt.datetime.fromtimestamp(st.st_mtime_ns // 1000 / 1e6, tz=dt.UTC).replace(
        microsecond=(st.st_mtime_ns // 1000) % 1_000_000)


def scan(root: Path) -> list[Entry]:
    """Every file under root, classified; sorted by path. Links are never followed: a file link
    leaving the drive, a folder link leaving it, a folder that cannot be listed or entered each
    get an entry (LINK_OUTSIDE_DRIVE, FOLDER_NO_ACCESS), so that the ledger sees every path."""
    root = root.resolve()
    entries = []

    def onerror(err: OSError) -> None:
        log.warning("cannot read folder %s: %s", err.filename, err.strerror)
        # recorded in the ledger (rel_path ends with "/"), retried at every scan
        folder = Path(err.filename or "")
        if folder.is_relative_to(root) and folder != root:
            try:
                st = folder.lstat()
            except OSError:
                return
            rel = folder.relative_to(root).as_posix() + "/"
            entries.append(Entry(rel, folder, 0, _mtime(st), "other", province_code=folder_province(rel + "-"),
                                 status="rejected", reason_code="FOLDER_NO_ACCESS"))

    for dirpath, dirnames, filenames in os.walk(root, onerror=onerror, followlinks=False):
        dirnames.sort()
        children = filenames or dirnames
        if children:
            try:
                os.lstat(os.path.join(dirpath, children[0]))
            except PermissionError as exc:      # listed, but the folder cannot be entered
                onerror(PermissionError(exc.errno, exc.strerror, dirpath))
                dirnames[:] = []
                continue
            except OSError:
                pass
        for name in dirnames:       # a folder link is never walked; one leaving the drive is recorded
            folder = Path(dirpath) / name
            if folder.is_symlink() and not _inside(folder, root):
                st = folder.lstat()
                rel = folder.relative_to(root).as_posix() + "/"
                entries.append(Entry(rel, folder, 0, _mtime(st), "other", province_code=folder_province(rel + "-"),
                                     status="ignored", reason_code="LINK_OUTSIDE_DRIVE"))
        for name in sorted(filenames):
            path = Path(dirpath) / name
            rel = path.relative_to(root).as_posix()
            try:
                if path.is_symlink():
                    try:
                        target = path.resolve()
                    except RuntimeError:      # a symlink loop: never followed
                        target = None
                    if target is None or not target.is_relative_to(root) or not target.is_file():
                        st = path.lstat()
                        entries.append(Entry(rel, path, st.st_size, _mtime(st), "other",
                                             province_code=folder_province(rel),
                                             status="ignored", reason_code="LINK_OUTSIDE_DRIVE"))
                        continue
                st = path.stat()
            except OSError as exc:              # gone since the listing: not on the drive
                log.warning("cannot stat %s: %s", rel, exc.strerror)
                continue
            entries.append(classify(rel, path, st.st_size, _mtime(st)))
    return entries


def _inside(path: Path, root: Path) -> bool:
    try:
        return path.resolve().is_relative_to(root)
    except (OSError, RuntimeError):     # a loop, or a target we may not look at
        return False


def classify(rel: str, path: Path, size: int, mtime: dt.datetime) -> Entry:
    parts = rel.split("/")
    name = parts[-1]
    lower = name.lower()
    # every file in a province folder carries the folder's code, ignored ones too (the contract:
    # province_code "from the folder name"), so the province's feedback can list them
    e = Entry(rel, path, size, mtime, "other", province_code=folder_province(rel))
    if lower.startswith("~$") or lower.startswith(".~lock.") or lower.endswith("#"):
        e.status, e.reason_code = "ignored", "LOCK_FILE"
    elif lower in SYSTEM_FILES or lower.startswith("._"):
        e.status, e.reason_code = "ignored", "SYSTEM_FILE"
    elif Path(lower).suffix not in SUBMISSION_SUFFIXES:
        e.status, e.reason_code = "ignored", "NOT_A_SUBMISSION"
    elif parts[0] == "provinces":
        e.kind = "submission"
        if e.province_code is None:
            e.status, e.reason_code = "rejected", "UNKNOWN_PROVINCE"
    elif parts[0] == "roster":
        e.kind = "roster"
        rounds = {r["round"] for r in config.rounds()}
        e.round_code = parts[1] if len(parts) > 2 and parts[1] in rounds else None
        if e.round_code is None:
            e.status, e.reason_code = "rejected", "UNKNOWN_ROUND"
    else:
        e.status, e.reason_code = "ignored", "OUTSIDE_LAYOUT"
    return e


def folder_province(rel: str) -> str | None:
    """The province code of provinces/<NN-name>/... (None elsewhere or without a valid code)."""
    parts = rel.split("/")
    return province_from_folder(parts[1]) if len(parts) > 2 and parts[0] == "provinces" else None


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
