"""The advisor: retrieval over the playbook and the advice log, and drafting an answer."""
