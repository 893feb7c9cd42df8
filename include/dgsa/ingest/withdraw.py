"""Withdraw a file version: an engineer's explicit, audited act (never a side effect of a deletion).

A file removed from the drive stays in force (its ledger row says since when it is missing).
When its results must no longer count (the province asks, the file was sent to the wrong
folder, ...), an engineer withdraws that version:

    python -m dgsa.ingest.withdraw FILE_ID --reason "sent by mistake, ticket 123" --by "somchai"

The version's status becomes `withdrawn` (its rows stay in core and raw as history, out of
force: audit.version_in_force), and audit.withdrawal records who, when and why. It does not
bring back the older versions it had replaced. The marts change at their next build
(dgsa_marts, or `make pipeline`).
"""
from __future__ import annotations

import argparse

from dgsa.foundation import config, db

WITHDRAWABLE = ("loaded", "partially_loaded")


class NotWithdrawable(ValueError):
    """No such version, or one that holds nothing in force."""


def withdraw(file_id: int, reason: str, by: str, url: str | None = None) -> dict:
    reason, by = (reason or "").strip(), (by or "").strip()
    if not reason or not by:
        raise NotWithdrawable("a withdrawal needs a reason and the name of who withdraws")
    with db.transaction(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT rel_path, status FROM audit.source_file WHERE file_id = %s FOR UPDATE", (file_id,))
        row = cur.fetchone()
        if row is None:
            raise NotWithdrawable(f"no file version {file_id} in the ledger")
        rel_path, status = row
        if status not in WITHDRAWABLE:
            raise NotWithdrawable(f"file {file_id} ({rel_path}) is {status}: only a loaded or partially loaded "
                                  "version can be withdrawn")
        cur.execute("""INSERT INTO audit.withdrawal (file_id, rel_path, previous_status, reason, withdrawn_by)
                       VALUES (%s, %s, %s, %s, %s) RETURNING withdrawal_id, withdrawn_at""",
                    (file_id, rel_path, status, reason, by))
        withdrawal_id, at = cur.fetchone()
        cur.execute("""UPDATE audit.source_file SET status = 'withdrawn', reason_code = 'WITHDRAWN', message = %s
                       WHERE file_id = %s""",
                    (config.message("WITHDRAWN", detail=f"{at.astimezone(config.BANGKOK):%Y-%m-%d}, {reason}")[1], file_id))
    return {"withdrawal_id": withdrawal_id, "file_id": file_id, "rel_path": rel_path, "previous_status": status,
            "withdrawn_at": at.isoformat()}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("file_id", type=int, help="audit.source_file.file_id of the version to withdraw")
    parser.add_argument("--reason", required=True, help="why (kept in audit.withdrawal and shown to the province)")
    parser.add_argument("--by", required=True, help="who withdraws it")
    args = parser.parse_args(argv)
    try:
        done = withdraw(args.file_id, args.reason, args.by)
    except NotWithdrawable as exc:
        raise SystemExit(f"dgsa withdraw: {exc}") from None
    print(f"withdrew file {done['file_id']} ({done['rel_path']}, was {done['previous_status']}); "
          f"audit.withdrawal {done['withdrawal_id']}. The marts change at their next build.")


if __name__ == "__main__":
    main()
