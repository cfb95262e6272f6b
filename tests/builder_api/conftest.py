"""The runtime harness (real RQ jobs, virtual time) for API tests whose requests queue work."""
from tests.workflow_runtime.conftest import harness, redis_connection  # noqa: F401
