"""The API tests drive real runs through the runtime harness where they need real runs, counters and messages."""
from tests.workflow_runtime.conftest import harness, redis_connection  # noqa: F401 - fixtures shared by import
