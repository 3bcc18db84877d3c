"""Settings, the shipped playbook and example configuration files."""
