# -*- coding: utf-8 -*-
"""Run Autobahn|Testsuite's wstest with its listeners bound to 127.0.0.1 only.

wstest's fuzzingserver mode binds every interface; the interop harness keeps
all test traffic on loopback, so this wrapper (run with the suite's Python 2
interpreter) makes listenWS bind 127.0.0.1 before handing over to wstest.

Extra mode, used by scripts/autobahn.sh to know how many cases a spec selects:
    python wstest_loopback.py --list-cases SPEC.json
prints the case ids the spec's "cases" / "exclude-cases" select, one a line.
"""
import json
import sys


def list_cases(spec_path):
    from autobahntestsuite.case import (Cases, CaseCategories, CaseSubCategories,
                                        CaseSetname, CaseBasename)
    from autobahntestsuite.caseset import CaseSet
    with open(spec_path) as f:
        spec = json.load(f)
    case_set = CaseSet(CaseSetname, CaseBasename, Cases, CaseCategories,
                       CaseSubCategories)
    for case_id in case_set.parseSpecCases(spec):
        print(case_id)
    return 0


def run_wstest():
    import autobahn.twisted.websocket as ws_twisted
    original = ws_twisted.listenWS

    def listen_loopback(factory, contextFactory=None, backlog=50,
                        interface='127.0.0.1'):
        return original(factory, contextFactory, backlog, interface or '127.0.0.1')

    ws_twisted.listenWS = listen_loopback
    import autobahntestsuite.fuzzing as fuzzing
    fuzzing.listenWS = listen_loopback
    from autobahntestsuite.wstest import run
    sys.argv[0] = 'wstest'
    return run()


if __name__ == '__main__':
    if len(sys.argv) == 3 and sys.argv[1] == '--list-cases':
        sys.exit(list_cases(sys.argv[2]))
    sys.exit(run_wstest())
