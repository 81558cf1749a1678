"""Every GET route answers without a server error, as a page and as the HTMX fragment of it, for every role.

An HTMX request gets only one block of a page (saas/core/rendering.py), so a page that renders may still
have a fragment that does not. The meta-test here asks every GET route of app.url_map (present and
future) as each role of vendor "alpha", the platform operator and an anonymous visitor, with the ids of
rows that exist (the isolation test's fillers: a route with an argument they do not know fails there),
plain and with `HX-Request: true`. Each page it gets is then asked the way HTMX would: every `hx-get`
URL on it (SLA polls, tabs, row editors, *Load more* with its real cursor) and the page itself with a
cursor (`?after=`/`?before=`). Every keyset-paged list is cut to one row a page for the test, so two rows
are enough for its *Load more* to appear. Nothing is listed by hand: a new route, a new poll or a new
paged list joins by being there.
"""

import html
import inspect
import re
import sys

import pytest
from jinja2 import nodes

from saas.core.plugins import plugin_manager
from saas.requests.models import ServiceRequest
from tests.core.test_s7_isolation import ROLES, build, routes, rows_of

#: Cursors that take a keyset list from its start, whichever way it runs (`id > 0` or `id < MAX`).
CURSORS = ("0", str(2**31 - 1))

HX_GET = re.compile(r'\shx-get="([^"]*)"')


def keyset_pagers():
    """The app's list functions that take a keyset cursor (`after` or `before`) and a page size (`limit`)."""
    for name, module in list(sys.modules.items()):
        if module is None or not name.startswith(("saas.", "plugins.")):
            continue
        for func in vars(module).values():
            if not inspect.isfunction(func) or func.__module__ != name or hasattr(func, "__wrapped__"):
                continue
            params = inspect.signature(func).parameters
            if "limit" in params and {"after", "before"} & params.keys() and isinstance(params["limit"].default, int):
                yield func


def one_row_pages(monkeypatch):
    """Cut every keyset-paged list to one row a page, so that a list of two shows its *Load more*."""
    patched = 0
    for func in keyset_pagers():
        if "limit" in (func.__kwdefaults__ or {}):
            monkeypatch.setitem(func.__kwdefaults__, "limit", 1)
        else:
            positional = [
                p
                for p in inspect.signature(func).parameters.values()
                if p.default is not p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
            ]
            defaults = [1 if p.name == "limit" else p.default for p in positional]
            monkeypatch.setattr(func, "__defaults__", tuple(defaults))
        patched += 1
    assert patched >= 5, "found no keyset-paged list functions: has their signature changed?"


@pytest.fixture
def everyone(app, db, world, enable_plugin, make_user, monkeypatch, addon_stand_in):
    """Alpha with every plugin, a row of every kind for each of its two clients, and a platform operator."""
    alpha = world.tenant("alpha")
    for name in plugin_manager().plugin_names():
        enable_plugin(alpha, name)
    vendor_admin = world.person("alpha", "vendor_admin")
    own = rows_of(alpha, world.clients("alpha")[0], world.person("alpha", "client_admin"), vendor_admin, db)
    own["number"] = db.session.get(ServiceRequest, own["request_id"]).number  # the API's id of a request
    rows_of(alpha, world.clients("alpha")[1], world.person("alpha", "client_admin_2"), vendor_admin, db)
    make_user(email="operator@platform.example.com", platform_admin=True)
    one_row_pages(monkeypatch)
    return own


def is_page(response) -> bool:
    return response.status_code == 200 and response.mimetype == "text/html" and b"<html" in response.data


class Asker:
    """Asks URLs as one signed-in role and keeps every answer that is a server error."""

    def __init__(self, client):
        self.client = client
        self.failures = []
        self.asked = set()

    def get(self, url: str, fragment: bool):
        """The answer to GET url (with HX-Request when `fragment`), or None when it failed (recorded)."""
        self.asked.add((url, fragment))
        how = "HTMX" if fragment else "plain"
        try:
            response = self.client.get(url, headers={"HX-Request": "true"} if fragment else {})
        except Exception as exc:  # TESTING propagates a view's exception: in production it is a 500
            self.failures.append(f"GET {url} ({how}): {type(exc).__name__}: {exc}")
            return None
        if response.status_code >= 500:
            self.failures.append(f"GET {url} ({how}): {response.status_code}")
            return None
        return response

    def follow_htmx(self, response):
        """Ask every hx-get URL of an HTML answer as HTMX would; each must be a fragment, never a whole page."""
        if response is None or response.status_code != 200 or response.mimetype != "text/html":
            return
        for url in {html.unescape(u) for u in HX_GET.findall(response.get_data(as_text=True))}:
            if not url.startswith("/") or (url, True) in self.asked:
                continue
            fragment = self.get(url, fragment=True)
            if fragment is not None and b"<html" in fragment.data:
                self.failures.append(f"GET {url} (HTMX, from an hx-get): a whole page instead of a fragment")
            self.follow_htmx(fragment)


def sign_in(client, world, who):
    if who == "anonymous":
        return
    client.sign_in("operator@platform.example.com" if who == "platform_operator" else world.person("alpha", who).email)


@pytest.mark.parametrize("who", [*ROLES, "platform_operator", "anonymous"])
def test_s7_1_every_get_route_answers_as_page_and_as_fragment(app, client, world, everyone, who):
    """No GET route answers a server error, plain or as an HTMX fragment, nor do the fragments its pages ask."""
    sign_in(client, world, who)
    asker = Asker(client)
    pages = 0
    for rule, method in routes(app):
        if method != "GET":
            continue
        url = build(rule, everyone)
        plain = asker.get(url, fragment=False)
        asker.get(url, fragment=True)
        if plain is not None and is_page(plain):
            pages += 1
            asker.follow_htmx(plain)
            for cursor in CURSORS:  # the list's next page, as its *Load more* asks for it
                asker.follow_htmx(asker.get(f"{url}?after={cursor}&before={cursor}", fragment=True))
    assert not asker.failures, f"{len(asker.failures)} server errors:\n" + "\n".join(sorted(asker.failures))
    assert pages >= (20 if who in ("vendor_admin", "client_admin") else 1), f"only {pages} pages opened"


#: What defines a name for the rest of the template (`with`, `for` and `call` keep theirs to themselves).
DEFINES = (nodes.Assign, nodes.AssignBlock, nodes.Import, nodes.FromImport, nodes.Macro)


def outside_blocks(node):
    """The nodes under `node` that are not inside one of its blocks."""
    for child in node.iter_child_nodes():
        if not isinstance(child, nodes.Block):
            yield child
            yield from outside_blocks(child)


def test_s7_1_templates_keep_their_statements_inside_blocks(app):
    """A block rendered alone (HTMX) sees what it sees in its page: no template with blocks defines a name outside
    them (a layout's neither: its top level runs before the blocks of the page that extends it)."""
    env = app.jinja_env
    offences, checked = [], 0
    for name in env.list_templates(extensions=["html"]):  # the core's and every plugin's
        tree = env.parse(env.loader.get_source(env, name)[0])
        if not any(True for _ in tree.find_all(nodes.Block)):
            continue  # no block, no fragment (macros, documents, mail)
        checked += 1
        offences += [
            f"{name}:{node.lineno}: {type(node).__name__} outside a block"
            for node in outside_blocks(tree)
            if isinstance(node, DEFINES)
        ]
    assert checked > 50
    assert not offences, "move these into the blocks that use them:\n" + "\n".join(offences)
