"""Slack: Bolt's AsyncApp in HTTP or Socket Mode, single-token or multi-workspace OAuth."""

from adapters.slack.connector import SlackAdapter, slack_components

__all__ = ["SlackAdapter", "slack_components"]
