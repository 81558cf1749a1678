"""The agreement as data (§1, §3.1, §10, Annex 1): the service catalogue, contracts, their terms and fees."""
