"""Language and time-zone selection, and the Jinja filters that format dates and money."""

from babel.dates import format_datetime as babel_format_datetime
from flask import current_app, g, has_request_context, request, session
from flask_babel import force_locale, get_locale, get_timezone
from flask_login import current_user

#: Accept-Language tags mapped to the catalogs we ship.
_BROWSER_TAGS = {"zh": "zh_Hans_CN", "zh-cn": "zh_Hans_CN", "zh-hans": "zh_Hans_CN", "en": "en"}


def select_locale() -> str:
    """Session choice, then the user's saved preference, then the browser's Accept-Language."""
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # jobs and the CLI: the default language unless forced with force_locale
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    chosen = session.get("lang")
    if chosen in languages:
        return chosen
    # During an outage (saas/core/errors.py) the user is not loaded: that would ask the database again.
    if (
        not g.get("dependency_down")
        and current_user
        and current_user.is_authenticated
        and current_user.locale in languages
    ):
        return current_user.locale
    for tag, _quality in request.accept_languages:
        tag = tag.lower()
        match = _BROWSER_TAGS.get(tag) or _BROWSER_TAGS.get(tag.split("-")[0])
        if match:
            return match
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def select_timezone() -> str:
    """The tenant's time zone (Asia/Shanghai by default)."""
    tenant = g.get("tenant")
    return tenant.timezone if tenant is not None else current_app.config["BABEL_DEFAULT_TIMEZONE"]


def format_dt(value, fmt: str = "medium") -> str:
    """A UTC datetime shown in the tenant's time zone and the user's language."""
    if value is None:
        return ""
    return babel_format_datetime(value, fmt, tzinfo=get_timezone(), locale=get_locale())


def format_money_filter(amount, currency: str) -> str:
    """Money for people, rounded half-up to the minor unit first."""
    from saas.core.money import format_money

    return format_money(amount, currency, str(get_locale()))


def html_lang() -> str:
    """The value for <html lang>."""
    return "zh-Hans-CN" if str(get_locale()).startswith("zh") else "en"


def in_each_language(text) -> dict[str, str]:
    """A lazy string written down in each of the product's languages (by locale), for rows read later by people of
    either language."""
    written = {}
    for code in current_app.config["LANGUAGES"]:
        with force_locale(code):
            written[code] = str(text)
    return written


def in_my_language(written: dict | None, fallback: str = "") -> str:
    """The reader's language's text of what in_each_language wrote (`fallback` for rows written before it)."""
    return (written or {}).get(str(get_locale())) or fallback
