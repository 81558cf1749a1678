"""Service records (§12.1, Annex 7): every request of a contract in a period, exported."""
