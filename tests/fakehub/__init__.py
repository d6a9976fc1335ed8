"""A local stand-in for the Hugging Face Hub's file endpoints, for tests and end-to-end runs."""

from tests.fakehub.server import AGENT_HARNESSES, HOST, FakeHub, Fault, Record, commit_for

__all__ = ["AGENT_HARNESSES", "HOST", "FakeHub", "Fault", "Record", "commit_for"]
