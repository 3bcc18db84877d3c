"""The fractional practice: clients, hours, decisions, the tech radar and the value report."""
