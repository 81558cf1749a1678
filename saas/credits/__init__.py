"""Service credits: §8.2 applied to the vendor, the penalty it owes the client for its own breaches (§8.1)."""
