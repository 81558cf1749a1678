"""The core's screens: sign-in, the platform console, the vendor console and the client portal."""
