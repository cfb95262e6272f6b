"""The job queue names its jobs by import path: each name must be a job of `dispatch.jobs`."""
from __future__ import annotations

from rq.utils import import_attribute

from workflow_runtime.dispatch import jobs
from workflow_runtime.dispatch.job_queue import JOB_NAMES


def test_every_queued_job_name_is_a_function_of_the_jobs_module() -> None:
    for name in JOB_NAMES:
        module, _, function = name.rpartition(".")
        assert module == jobs.__name__, name
        assert import_attribute(name) is getattr(jobs, function)


def test_every_job_of_the_jobs_module_can_be_queued_by_name() -> None:
    public = {name for name, value in vars(jobs).items()
              if callable(value) and not name.startswith("_") and getattr(value, "__module__", None) == jobs.__name__}
    assert public == {name.rpartition(".")[2] for name in JOB_NAMES}
