"""The app's `<int:…>` URL converter: an id past what a row can have is no route (404), never a database error."""

from werkzeug.routing import IntegerConverter

from saas.core.parsing import MAX_ID


class IdConverter(IntegerConverter):
    """`<int:x>` for row ids: at most MAX_ID, so /contracts/99999999999999999999 is a 404, not an OverflowError.

    Registered app-wide as "int" (saas.create_app) before any blueprint, so every route is covered by construction.
    """

    def __init__(self, map, fixed_digits=0, min=None, max=None, signed=False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=MAX_ID if max is None else max, signed=signed)
