"""The scenarios run on the runtime tests' harness: real RQ batch jobs, virtual time."""
from tests.workflow_runtime.conftest import harness, redis_connection  # noqa: F401 - pytest fixtures
