"""Map the UCI bank-marketing telemarketing data (Moro et al., 2014) to Rehearse's deals.csv.

Run: .venv/bin/python bench/bank_to_deals.py /work/shared/data/sales/bank-additional-full.csv deals-bank.csv
then: .venv/bin/flask model rank --csv deals-bank.csv --json bank-rank.json

Each client contact is a deal; ``y`` (subscribed a term deposit) is the outcome.
Only what the seller did becomes a behaviour count:

- ``calls_this_campaign``     ← ``campaign`` (contacts in this campaign, including the last)
- ``calls_before_campaign``   ← ``previous`` (contacts before this campaign)
- ``followed_up_past_client`` ← 1 when ``pdays`` is not 999 (the client was contacted in a previous campaign)

``contact`` (cellular/telephone) becomes ``channel``. Client attributes (age, job …)
and the economic indicators are not behaviours and are left out.

``duration`` (length of the last call) is left out: it is known only after the
call, when the outcome is too (bank-additional-names.txt says so). With
``--keep-duration`` it is written as ``last_call_minutes`` to show what such a
leak does; its single-feature AUC is about 0.82, so the near-perfect-separation
check does **not** catch it — timing leaks need the data's documentation.
"""

import argparse
import csv
import sys


def convert(source, target, keep_duration: bool = False) -> int:
    """Write deals.csv rows for every row of the bank file; return how many."""
    reader = csv.DictReader(source, delimiter=";")
    columns = ["deal_id", "outcome", "channel", "calls_this_campaign", "calls_before_campaign",
               "followed_up_past_client"] + (["last_call_minutes"] if keep_duration else [])
    writer = csv.DictWriter(target, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    n = 0
    for line, row in enumerate(reader, start=2):
        try:
            out = {
                "deal_id": f"BANK-{line - 1:06d}",
                "outcome": {"yes": "won", "no": "lost"}[row["y"]],
                "channel": row["contact"],
                "calls_this_campaign": int(row["campaign"]),
                "calls_before_campaign": int(row["previous"]),
                "followed_up_past_client": int(row["pdays"] != "999"),
            }
            if keep_duration:
                out["last_call_minutes"] = round(int(row["duration"]) / 60, 2)
        except (KeyError, ValueError) as error:
            raise SystemExit(f"{source.name}:{line}: cannot convert: {error}") from None
        writer.writerow(out)
        n += 1
    return n


def main() -> None:
    """Convert the file named on the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=argparse.FileType("r", encoding="utf-8"))
    parser.add_argument("target", type=argparse.FileType("w", encoding="utf-8"))
    parser.add_argument("--keep-duration", action="store_true", help="write the leaking call duration too")
    args = parser.parse_args()
    n = convert(args.source, args.target, args.keep_duration)
    print(f"wrote {n} deals to {args.target.name}", file=sys.stderr)


if __name__ == "__main__":
    main()
