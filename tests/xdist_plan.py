"""How `make test`'s xdist workers share the suite (pytest -n 3 --dist loadfile --no-loadscope-reorder;
the hooks are in conftest.py).

* One unit of work per test module, so a module's module-scoped fixtures (a pipeline run, an Airflow
  UI, a browser) are built once. With `--dist load` a module's tests were spread over the workers and
  each built them again (and again when a worker's tests of it were interleaved with another
  module's). `--dist loadgroup` cannot do it here: xdist 3.8 tags a grouped test by rewriting
  item._nodeid, which pytest 9 no longer reads (Node.nodeid comes from Node._id), so its groups are
  silently ignored.
* The modules that read the same session fixture (SHARED) are one unit, so the fixture is built
  once, by one worker.
* The heaviest units first (HEAVY), so that no worker starts a long one last; a worker is given its
  next unit only when it is down to its last test (a worker needs one test queued behind the one it
  runs), so heavy units are not queued up behind each other on one worker.
"""
from __future__ import annotations

# session fixture -> the modules that read it (one xdist unit)
SHARED = {"pipeline_run": ("test_lineage.py", "test_ui_ops.py"),
          "multiround": ("test_dashboard_rounds.py", "test_feedback_rounds.py")}
UNIT = {module: fixture for fixture, modules in SHARED.items() for module in modules}

# seconds (whole unit, fixtures included) of the heaviest units, rounded, on an idle machine;
# the rest keep the collection order
HEAVY = {"pipeline_run": 150, "test_rounds_e2e.py": 130, "test_pipeline_runs.py": 120, "test_celery.py": 120,
         "test_end_to_end.py": 100, "test_dashboard.py": 100, "test_bench_smoke.py": 100, "test_alerts.py": 90,
         "multiround": 80, "test_faults.py": 60, "test_security.py": 50, "test_fail_closed.py": 50,
         "test_dashboard_auth.py": 40, "test_settings_split.py": 30, "test_invariants.py": 30}


def unit(module: str) -> str:
    """The xdist unit of a test module (its file name)."""
    return UNIT.get(module, module)


def order(items) -> None:
    """Sort the collected items: the heaviest units first, the rest in collection order (stable).
    Fails when a module reads a SHARED fixture without being listed with it."""
    for item in items:
        for fixture, modules in SHARED.items():
            if fixture in item.fixturenames and item.path.name not in modules:
                raise RuntimeError(f"{item.path.name} reads the session fixture {fixture}: list it in "
                                   f"tests/xdist_plan.py SHARED so that one worker builds it once")
    items.sort(key=lambda item: -HEAVY.get(unit(item.path.name), 0))


def scheduler(config, log):
    """`--dist loadfile` with the units above (pytest_xdist_make_scheduler)."""
    from xdist.scheduler import LoadFileScheduling  # noqa: PLC0415 - only under xdist

    class Units(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            path = nodeid.split("::", 1)[0]
            shared = UNIT.get(path.rsplit("/", 1)[-1])
            return shared or path

        def _reschedule(self, node) -> None:
            if node.shutting_down:
                return
            if not self.workqueue:
                node.shutdown()
                return
            if self._pending_of(self.assigned_work[node]) > 1:      # xdist: > 2
                return
            self._assign_work_unit(node)

    return Units(config, log)
