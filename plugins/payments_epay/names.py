"""Constants of online payment that its modules and the sandbox plugin share; this module imports nothing of theirs.

Keeping them here lets every other module of the plugin import them without importing each other in a circle.
"""

from zoneinfo import ZoneInfo

#: The plugin's name: entry point, URL prefix, table prefix, Alembic branch, settings and audit codes.
NAME = "payments_epay"
#: The providers a tenant may choose in its settings; "sandbox" is served by the payments_epay_sandbox plugin.
ALIPAY, SANDBOX = "alipay", "sandbox"
#: Alipay reads and writes its times in Beijing time, whatever the server's time zone.
BEIJING = ZoneInfo("Asia/Shanghai")
ALIPAY_TIME = "%Y-%m-%d %H:%M:%S"
