#!/usr/bin/env python3
"""Judge one Autobahn|Testsuite run from its index.json.

Usage: autobahn_report.py --index DIR/index.json [--index ...] [--merged OUT.json]
                          --agent NAME --expected FILE --role LABEL [--note TEXT]...

Several --index files (one per batch of cases) are merged; --merged writes the
merged results of the agent as one index.json-style file.

A case passes only when both `behavior` and `behaviorClose` are OK or
INFORMATIONAL; NON-STRICT, UNIMPLEMENTED, FAILED, WRONG CODE, UNCLEAN and
anything else is a failure, and so is an expected case with no result.
Prints a table of the failing cases with the suite's own reason, then a last
line in exactly this form:  autobahn: N passed, M failed
Exit status: 0 when nothing failed and at least one case passed, else 1.
"""
import argparse
import json
import os
import sys

PASSING = {"OK", "INFORMATIONAL"}

# What a non-passing verdict means, since the suite's text for NON-STRICT only
# says that the observed events matched a lenient expectation.
MEANING = {
    "NON-STRICT": "matched only the suite's lenient expectation",
    "UNIMPLEMENTED": "the suite judged the feature as not implemented",
    "WRONG CODE": "wrong close code",
    "UNCLEAN": "connection not closed cleanly",
}


def case_key(case_id):
    return tuple(int(p) if p.isdigit() else p for p in case_id.split("."))


def one_line(text, limit=200):
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def reason_for(outdir, entry):
    """The suite's explanation for a case, from its per-case report file."""
    parts = []
    for verdict in (entry.get("behavior"), entry.get("behaviorClose")):
        if verdict in MEANING and MEANING[verdict] not in parts:
            parts.append(MEANING[verdict])
    report = entry.get("reportfile")
    if report:
        try:
            with open(os.path.join(outdir, report), encoding="utf-8") as f:
                detail = json.load(f)
        except (OSError, ValueError):
            detail = {}
        behavior = entry.get("behavior")
        expected = detail.get("expected") or {}
        if behavior == "NON-STRICT" and "OK" in expected:
            # For a lenient match the suite's text says nothing useful: show
            # what the strict expectation wanted and what was observed.
            parts.append("strict: %s, observed: %s"
                         % (json.dumps(expected["OK"]), json.dumps(detail.get("received"))))
        elif behavior not in PASSING and detail.get("result"):
            parts.append(detail["result"])
        if entry.get("behaviorClose") not in PASSING and detail.get("resultClose"):
            parts.append("close: " + detail["resultClose"])
    if entry.get("remoteCloseCode") is not None:
        parts.append("peer close code %s" % entry["remoteCloseCode"])
    return one_line("; ".join(parts) or "no detail in the report")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--index", action="append", default=[])
    ap.add_argument("--merged", help="write the merged index here")
    ap.add_argument("--agent", required=True)
    ap.add_argument("--expected", required=True, help="file with one case id a line")
    ap.add_argument("--role", required=True)
    ap.add_argument("--note", action="append", default=[],
                    help="a problem seen by the harness (counts as a failure)")
    args = ap.parse_args()

    with open(args.expected) as f:
        expected = [line.strip() for line in f if line.strip()]

    results = {}
    outdirs = {}
    problems = list(args.note)
    if not args.index:
        problems.append("no report written")
    for path in args.index:
        if not os.path.isfile(path):
            problems.append("no report written: %s is missing" % path)
            continue
        try:
            with open(path, encoding="utf-8") as f:
                index = json.load(f)
        except ValueError as e:
            problems.append("%s is not valid JSON: %s" % (path, e))
            continue
        if args.agent not in index:
            problems.append("no results for agent %r in %s (agents: %s)"
                            % (args.agent, path, ", ".join(sorted(index)) or "none"))
            continue
        for case_id, entry in index[args.agent].items():
            results[case_id] = entry
            outdirs[case_id] = os.path.dirname(path)
    if args.merged:
        merged = {}
        for case_id, entry in results.items():
            entry = dict(entry)
            if entry.get("reportfile"):
                entry["reportfile"] = os.path.relpath(
                    os.path.join(outdirs[case_id], entry["reportfile"]),
                    os.path.dirname(os.path.abspath(args.merged)))
            merged[case_id] = entry
        with open(args.merged, "w", encoding="utf-8") as f:
            json.dump({args.agent: merged}, f, indent=1, sort_keys=True)
    failed = []
    passed = 0
    for case_id in sorted(set(expected) | set(results), key=case_key):
        entry = results.get(case_id)
        if entry is None and not results:
            failed.append((case_id, "-", "-", ""))
            continue
        if entry is None:
            failed.append((case_id, "-", "-", "no result: the case did not run or was not reported"))
            continue
        behavior = entry.get("behavior", "?")
        close = entry.get("behaviorClose", "?")
        if behavior in PASSING and close in PASSING:
            passed += 1
        else:
            failed.append((case_id, behavior, close, reason_for(outdirs[case_id], entry)))

    print("autobahn %s: %d cases expected, %d reported" % (args.role, len(expected), len(results)))
    for p in problems:
        print("autobahn %s: problem: %s" % (args.role, p))
    if failed and not results:
        print("autobahn %s: no case has a result" % args.role)
    elif failed:
        print("autobahn %s: failing cases" % args.role)
        w = max(len("case"), max(len(c[0]) for c in failed))
        print("  %-*s  %-13s  %-13s  %s" % (w, "case", "behavior", "behaviorClose", "reason"))
        for case_id, behavior, close, reason in failed:
            print("  %-*s  %-13s  %-13s  %s" % (w, case_id, behavior, close, reason))
    ok = not failed and not problems and passed > 0
    print("autobahn: %d passed, %d failed" % (passed, len(failed) + (0 if failed or ok else 1)))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
