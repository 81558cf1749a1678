"""Test support shared by the core's and the plugins' tests (loaded as the `saas` pytest plugin)."""
