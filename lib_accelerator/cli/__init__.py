"""`python -m lib_accelerator …`: list, show, plan, table, fetch and verify without a WebUI."""
