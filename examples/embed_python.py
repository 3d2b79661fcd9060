#!/usr/bin/env python3
"""Embedding JointReview in Python with nothing but ctypes and libjointreview.

Runs the reformed "four certificates" procedure (workflows/four-certificates.yaml)
for one project from the first submission to the construction permit, every
action taken by the right party, then prints the project's audit trail.

    filing ─► site_selection ─┬─► land_transfer ─┬─► land_use_permit ───────┐
      │                       │                  └─► property_registration ─┼──────────────────┐
      │                       └─► scheme_review ─┬──────────────────────────┴► engineering_permit ┤
      │                                          └─► joint_drawing_review ─────────────────────┤
      ├─► eia ─────────────────────────────────────────────────────────────────────────────────┼─► construction_permit
      └─► soil_conservation (告知承诺: decided on the applicant's commitment)─────────────────┘

    JR_LIBRARY=/path/to/libjointreview.so JR_WORKFLOWS=/path/to/workflows python3 embed_python.py

JR_WORKFLOWS defaults to the installed share/jointreview/workflows next to the
library's lib/ folder.
"""
import ctypes
import json
import os
import sys
import tempfile
import unicodedata

# ----------------------------------------------------------------- binding

lib = ctypes.CDLL(os.environ.get("JR_LIBRARY", "libjointreview.so"))

NTS = ctypes.c_size_t(-1).value  # JR_NTS: "NUL-terminated"
c_str = ctypes.c_char_p
c_len = ctypes.c_size_t
handle = ctypes.c_void_p
err_out = ctypes.POINTER(ctypes.c_void_p)  # jr_error**
str_out = ctypes.POINTER(ctypes.c_void_p)  # char** (kept as a pointer, to free it)
len_out = ctypes.POINTER(ctypes.c_size_t)


def declare(name, restype, *argtypes):
    f = getattr(lib, name)
    f.restype = restype
    f.argtypes = list(argtypes)
    return f


declare("jr_version", c_str)
declare("jr_status_name", c_str, ctypes.c_int)
declare("jr_error_code", ctypes.c_int, handle)
declare("jr_error_message", c_str, handle, len_out)
declare("jr_error_free", None, handle)
declare("jr_string_free", None, handle)
declare("jr_engine_options_create", handle)
declare("jr_engine_options_free", None, handle)
declare("jr_engine_options_set_database", ctypes.c_int, handle, c_str, c_len)
declare("jr_engine_options_set_clock", ctypes.c_int, handle, c_str, c_len)
declare("jr_engine_options_set_background_timers", ctypes.c_int, handle, ctypes.c_int)
declare("jr_engine_open", ctypes.c_int, handle, ctypes.POINTER(handle), err_out)
declare("jr_engine_close", None, handle)
declare("jr_engine_start", ctypes.c_int, handle, c_str, c_len, c_str, c_len, c_str, c_len, ctypes.c_int,
        str_out, len_out, err_out)
declare("jr_engine_act", ctypes.c_int, handle, c_str, c_len, c_str, c_len, c_str, c_len, c_str, c_len,
        c_str, c_len, c_str, c_len, ctypes.c_double, err_out)
declare("jr_engine_status", ctypes.c_int, handle, c_str, c_len, str_out, len_out, err_out)
declare("jr_engine_advance_clock", ctypes.c_int, handle, ctypes.c_int64, err_out)
declare("jr_engine_fire_due_timers", ctypes.c_int, handle, err_out)
declare("jr_engine_events", ctypes.c_int, handle, c_str, c_len, str_out, len_out, err_out)
EVENT_CALLBACK = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_void_p)
declare("jr_engine_subscribe", ctypes.c_int, handle, EVENT_CALLBACK, ctypes.c_void_p,
        ctypes.POINTER(ctypes.c_int), err_out)


class JointReviewError(Exception):
    def __init__(self, code, message):
        super().__init__(f"{lib.jr_status_name(code).decode()}: {message}")
        self.code = code


def b(s):
    return s.encode("utf-8") if s is not None else None


def check(fn, *args):
    """Calls a jr_ function whose last parameter is jr_error**; raises on failure."""
    err = ctypes.c_void_p()
    code = fn(*args, ctypes.byref(err))
    if code != 0:
        message = lib.jr_error_message(err, None).decode("utf-8")
        lib.jr_error_free(err)
        raise JointReviewError(code, message)


def take_string(fn, *args):
    """Calls a jr_ function that returns a string through char**, size_t*, jr_error**."""
    out = ctypes.c_void_p()
    n = ctypes.c_size_t()
    check(fn, *args, ctypes.byref(out), ctypes.byref(n))
    try:
        return ctypes.string_at(out, n.value).decode("utf-8")
    finally:
        lib.jr_string_free(out)  # the caller owns it: free it exactly once


class Engine:
    def __init__(self, database, clock=None):
        opts = lib.jr_engine_options_create()
        try:
            lib.jr_engine_options_set_database(opts, b(database), NTS)
            if clock:
                lib.jr_engine_options_set_clock(opts, b(clock), NTS)
                lib.jr_engine_options_set_background_timers(opts, 0)
            self._h = ctypes.c_void_p()
            check(lib.jr_engine_open, opts, ctypes.byref(self._h))
        finally:
            lib.jr_engine_options_free(opts)  # the engine keeps no reference to it
        self._callbacks = []  # ctypes callbacks must outlive the engine's use of them

    def close(self):
        lib.jr_engine_close(self._h)
        self._h = None

    def start(self, workflow_file, project):
        return take_string(lib.jr_engine_start, self._h, b(workflow_file), NTS, b(project), NTS, None, 0, 0)

    def act(self, instance, step, action, actor, material=None):
        check(lib.jr_engine_act, self._h, b(instance), NTS, b(step), NTS, b(action), NTS, b(actor), NTS,
              None, 0, b(material), NTS, -1.0)

    def status(self, instance):
        return json.loads(take_string(lib.jr_engine_status, self._h, b(instance), NTS))

    def events(self, instance):
        return json.loads(take_string(lib.jr_engine_events, self._h, b(instance), NTS))

    def advance(self, seconds):
        """Moves the fake clock on and fires the timers that fell due."""
        check(lib.jr_engine_advance_clock, self._h, seconds)
        check(lib.jr_engine_fire_due_timers, self._h)

    def subscribe(self, fn):
        def trampoline(text, n, _user_data):
            fn(json.loads(ctypes.string_at(text, n).decode("utf-8")))

        cb = EVENT_CALLBACK(trampoline)
        self._callbacks.append(cb)
        token = ctypes.c_int()
        check(lib.jr_engine_subscribe, self._h, cb, None, ctypes.byref(token))
        return token.value


# ----------------------------------------------------------------- the run

# Who does what: the departments of every step, lead first (the lead
# accepts; every department gives its opinion).
DEPARTMENTS = {
    "filing": ["发展改革委"],
    "site_selection": ["自然资源局"],
    "eia": ["生态环境局"],
    "soil_conservation": ["水利局"],
    "land_transfer": ["自然资源局"],
    "land_use_permit": ["自然资源局"],
    "property_registration": ["不动产登记中心"],
    "scheme_review": ["自然资源局", "住房城乡建设局", "人防办", "交通运输局"],
    "engineering_permit": ["自然资源局"],
    "joint_drawing_review": ["住房城乡建设局", "人防办", "气象局"],
    "construction_permit": ["住房城乡建设局"],
}
COMMITMENT = {"soil_conservation"}                  # 告知承诺: the applicant commits, the department decides on the spot
DEFERRED = {"construction_permit": ["监理合同"]}     # 容缺受理: supplied after acceptance


def handle_step(engine, instance, step):
    sid, state = step["id"], step["state"]
    depts = DEPARTMENTS[sid]
    if step["departments"] != depts:
        raise SystemExit(f"{sid}: the workflow names {step['departments']}, the example {depts}")
    if state == "ready" and sid in COMMITMENT:
        engine.act(instance, sid, "commit", "applicant")
    elif state == "ready":
        engine.act(instance, sid, "submit", "applicant")
    elif state == "submitted":
        engine.act(instance, sid, "accept", depts[0])
        for material in DEFERRED.get(sid, []):
            engine.act(instance, sid, "supply", "applicant", material=material)
    elif state == "accepted":
        for d in depts:
            if d in step["reviews_pending"]:
                engine.act(instance, sid, "approve", d)
    else:
        return False
    return True


def pad(text, width):
    """Left-aligns text in `width` terminal columns (CJK characters take two)."""
    cols = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
    return text + " " * max(0, width - cols)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    default = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(os.environ.get("JR_LIBRARY", ".")))),
                           "share", "jointreview", "workflows")
    workflows = os.environ.get("JR_WORKFLOWS", default)
    workflow = os.path.join(workflows, "four-certificates.yaml")
    print(f"libjointreview {lib.jr_version().decode()}  ({os.path.relpath(workflow, here)})")

    with tempfile.TemporaryDirectory() as tmp:
        engine = Engine(os.path.join(tmp, "four-certificates.db"), clock="2025-03-03T09:00")
        approvals = []
        engine.subscribe(lambda e: approvals.append(e["step"]) if e["to"] == "approved" and e["step"] else None)

        instance = engine.start(workflow, "滨江智能装备产业园一期")
        rounds = 0
        while True:
            status = engine.status(instance)
            if status["state"] != "running":
                break
            acted = [s["id"] for s in status["steps"] if handle_step(engine, instance, s)]
            if not acted:
                raise SystemExit(f"stuck: {[(s['id'], s['state']) for s in status['steps']]}")
            rounds += 1
            engine.advance(24 * 3600)  # the next round of actions a day later

        status = engine.status(instance)
        trail = engine.events(instance)
        engine.close()

    print(f"instance {instance}: {status['state']} after {rounds} rounds of actions")
    if status["state"] != "completed":
        raise SystemExit("the project did not complete")
    not_done = [s["id"] for s in status["steps"] if s["state"] != "approved"]
    if not_done:
        raise SystemExit(f"steps not approved: {not_done}")
    if sorted(approvals) != sorted(DEPARTMENTS):
        raise SystemExit(f"the subscriber saw approvals of {sorted(approvals)}")

    print(f"audit trail: {len(trail)} events")
    for e in trail:
        if e["kind"] in ("action", "instance"):
            what = e["action"] or f"{e['from']} -> {e['to']}"
            extra = f" ({e['material']})" if e["material"] else ""
            print(f"  {e['seq']:4} {e['time'][:16]}  {pad(e['actor'], 15)} {pad(what, 9)} {e['step']}{extra}")
    actions = [e for e in trail if e["kind"] == "action"]
    by_step = {}
    for e in actions:
        by_step.setdefault(e["step"], []).append((e["action"], e["actor"]))
    # Every department of a joint review gave its opinion in the trail.
    for d in DEPARTMENTS["scheme_review"]:
        if ("approve", d) not in by_step["scheme_review"]:
            raise SystemExit(f"no approval of scheme_review by {d} in the audit trail")
    if ("commit", "applicant") not in by_step["soil_conservation"]:
        raise SystemExit("no commitment in the audit trail")
    print("ok")


if __name__ == "__main__":
    main()
