"""tests/peer/regr.py - run one CPython regression module under regrtest and
record each case's result, for tests/peer/run.sh (make check-peer).

    PEER_RESULTS=OUT /usr/bin/python3 tests/peer/regr.py MODULE [options]

(tests/peer/mode.sh runs it in a mode.)  Runs `python3 -m test MODULE
[regrtest options]` in this process, so LD_PRELOAD and the environment are
exactly those of a normal run, and writes the file named by PEER_RESULTS
(when set) one JSON object a line, as the cases end (a crash or a timeout
keeps what ran):

    {"id": "test.test_os.FileTests.test_write", "r": "pass"}
    {"id": ..., "r": "fail", "msg": "the traceback's last lines"}
    {"module": "test_os", "status": "run", "code": 0}     (the last line)

A case's result is pass, fail, error or skip (an expected failure is a
pass, an unexpected success a fail).  A failing subtest counts against its
test; regrtest's own --junit-xml loses the name of such a test, hence this.
The module's status is run, skipped (the whole module), env-changed
(regrtest saw the test change the process's environment) or, when the last
line is missing, crash for the reader.

SIGINT: a job started in the background inherits SIGINT ignored, and
Python then leaves it ignored, which fails a few signal tests.  Installing
Python's usual handler makes the process what an interactive start makes
(children get SIGINT at its default, as a handler is reset by exec).
"""
import json
import os
import signal
import sys
import traceback
import unittest

signal.signal(signal.SIGINT, signal.default_int_handler)

if len(sys.argv) < 2:
    sys.exit("usage: PEER_RESULTS=OUT regr.py MODULE [regrtest options...]")
module = sys.argv[1]
# not O_APPEND: the results file is never coalesced by the shim under test
out = None
if os.environ.get("PEER_RESULTS"):
    out = open(os.environ.pop("PEER_RESULTS"), "w", encoding="utf-8",
               errors="backslashreplace")


def emit(obj):
    if out is not None:
        out.write(json.dumps(obj, ensure_ascii=False) + "\n")
        out.flush()


def case_id(test):
    if isinstance(test, unittest.case._SubTest):
        test = test.test_case
    try:
        return test.id()
    except Exception:
        return str(test)


def tail(err):
    lines = "".join(traceback.format_exception(*err)).rstrip().splitlines()
    return "\n".join(lines[-6:])[-1500:]


from test.support import testresult  # noqa: E402
from test.libregrtest.main import Regrtest  # noqa: E402

R = testresult.RegressionTestResult


def hook(name, outcome, with_err):
    orig = getattr(R, name)

    def wrapped(self, test, *args):
        r = orig(self, test, *args)
        if name == "addSubTest":
            err = args[1]
            if err is None:
                return r
            kind = "fail" if issubclass(err[0], test.failureException) else "error"
            emit({"id": case_id(test), "r": kind, "msg": tail(err)})
        elif with_err:
            emit({"id": case_id(test), "r": outcome, "msg": tail(args[0])})
        elif name == "addSkip":
            emit({"id": case_id(test), "r": "skip", "msg": str(args[0])[:300]})
        else:
            emit({"id": case_id(test), "r": outcome})
        return r

    setattr(R, name, wrapped)


hook("addSuccess", "pass", False)
hook("addExpectedFailure", "pass", False)
hook("addUnexpectedSuccess", "fail", False)
hook("addFailure", "fail", True)
hook("addError", "error", True)
hook("addSkip", "skip", False)
hook("addSubTest", None, False)

sys.argv = [sys.argv[0], module] + sys.argv[2:]
regr = Regrtest()
code = None
try:
    regr.main()
except SystemExit as e:
    code = e.code
finally:
    if module in regr.environment_changed:
        status = "env-changed"
    elif module in regr.skipped or module in regr.resource_denieds:
        status = "skipped"
    else:
        status = "run"
    emit({"module": module, "status": status, "code": code})
    if out is not None:
        out.close()
sys.exit(code)
