"""A local stand-in for the Hugging Face Hub's file endpoints, for tests and end-to-end runs."""

from tests.fakehub.server import (
    AGENT_HARNESSES,
    CDN_HOST,
    HOST,
    LOOPBACK_NO_PROXY,
    FakeHub,
    Fault,
    Record,
    commit_for,
)

__all__ = ["AGENT_HARNESSES", "CDN_HOST", "HOST", "LOOPBACK_NO_PROXY", "FakeHub", "Fault", "Record", "commit_for"]
